import Dataset
import Foundation
import TestSupport
import Tokenizer
import XCTest

final class TokenSourceTests: XCTestCase {
    let tokenizer = try! BPETokenizer(contentsOf: Products.dataFile("tokenizer.json"))

    func testTextIsTokenizedOnceAndThenReadFromTheCache() throws {
        let cache = try makeTemporaryFolder(for: self, "data").path + "/cache"
        let corpus = Products.dataFile("tinyshakespeare.txt")
        let first = try TokenSource.load(path: corpus, tokenizer: tokenizer, cacheDirectory: cache)
        XCTAssertFalse(first.loadedFromCache)
        let expected = tokenizer.encode(try String(contentsOfFile: corpus, encoding: .utf8))
        XCTAssertTrue(first.tokens == expected)
        XCTAssertEqual(first.count, expected.count)
        let cachePath = try XCTUnwrap(first.cachePath)
        XCTAssertTrue(cachePath.hasPrefix(cache + "/"))
        XCTAssertTrue(cachePath.contains(String(tokenizer.fingerprint.prefix(16))), cachePath)
        XCTAssertTrue(try TokenFile.read(cachePath) == expected)

        let second = try TokenSource.load(path: corpus, tokenizer: tokenizer, cacheDirectory: cache)
        XCTAssertTrue(second.loadedFromCache)
        XCTAssertEqual(second.cachePath, cachePath)
        XCTAssertTrue(second.tokens == expected)
        second.withTokens { XCTAssertEqual($0.count, expected.count) }

        // Other content: another cache file.
        let other = try makeTemporaryFolder(for: self, "data").path + "/other.txt"
        try "To be, or not to be".write(toFile: other, atomically: true, encoding: .utf8)
        let third = try TokenSource.load(path: other, tokenizer: tokenizer, cacheDirectory: cache)
        XCTAssertFalse(third.loadedFromCache)
        XCTAssertNotEqual(third.cachePath, cachePath)
        XCTAssertEqual(third.tokens, tokenizer.encode("To be, or not to be"))

        // A corrupt cache file is replaced, not trusted.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: cachePath))
        let fourth = try TokenSource.load(path: corpus, tokenizer: tokenizer, cacheDirectory: cache)
        XCTAssertFalse(fourth.loadedFromCache)
        XCTAssertTrue(fourth.tokens == expected)
        XCTAssertTrue(try TokenSource.load(path: corpus, tokenizer: tokenizer, cacheDirectory: cache).loadedFromCache)

        // No cache directory: tokenized every time.
        let uncached = try TokenSource.load(path: other, tokenizer: tokenizer, cacheDirectory: nil)
        XCTAssertFalse(uncached.loadedFromCache)
        XCTAssertNil(uncached.cachePath)
    }

    func testJSONLinesAreJoinedWithEndOfText() throws {
        let dir = try makeTemporaryFolder(for: self, "data").path
        let path = dir + "/docs.jsonl"
        try """
        {"text": "First document.", "id": 1}

        {"text": "Second <|end_of_text|> one\\nwith a newline"}
        {"text": "Third"}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let eot = try XCTUnwrap(tokenizer.endOfText)
        let expected = tokenizer.encode("First document.") + [eot]
            + tokenizer.encode("Second <|end_of_text|> one\nwith a newline") + [eot] + tokenizer.encode("Third")
        XCTAssertEqual(try TokenSource.load(path: path, tokenizer: tokenizer, cacheDirectory: nil).tokens, expected)
        let cached = try TokenSource.load(path: path, tokenizer: tokenizer, cacheDirectory: dir + "/cache")
        XCTAssertEqual(cached.tokens, expected)
        XCTAssertTrue(try TokenSource.load(path: path, tokenizer: tokenizer, cacheDirectory: dir + "/cache").loadedFromCache)
        XCTAssertEqual(try TokenSource.tokenize(path: path, tokenizer: tokenizer), expected)
    }

    func testABadJSONLineIsNamedByItsNumber() throws {
        let dir = try makeTemporaryFolder(for: self, "data").path
        let path = dir + "/bad.jsonl"
        try "{\"text\": \"ok\"}\n{\"text\": \"ok\"}\n{\"text\": oops}\n".write(toFile: path, atomically: true, encoding: .utf8)
        assertThrows(try TokenSource.load(path: path, tokenizer: tokenizer, cacheDirectory: nil), containing: [path + ":3", "JSON"])
        try "{\"text\": \"ok\"}\n{\"body\": \"no text\"}\n".write(toFile: path, atomically: true, encoding: .utf8)
        assertThrows(try TokenSource.load(path: path, tokenizer: tokenizer, cacheDirectory: nil), containing: [path + ":2", "\"text\""])
        try "[1, 2]\n".write(toFile: path, atomically: true, encoding: .utf8)
        assertThrows(try TokenSource.load(path: path, tokenizer: tokenizer, cacheDirectory: nil), containing: [path + ":1", "object"])
    }

    func testTokenFilesAreUsedAsIs() throws {
        let dir = try makeTemporaryFolder(for: self, "data").path
        try TokenFile.write([3, 1, 4, 1, 5, 9], to: dir + "/t.bin")
        XCTAssertEqual(try TokenSource.load(path: dir + "/t.bin", tokenizer: tokenizer, cacheDirectory: dir).tokens, [3, 1, 4, 1, 5, 9])
        try TokenFile.write([3, 2000], to: dir + "/big.bin")
        assertThrows(try TokenSource.load(path: dir + "/big.bin", tokenizer: tokenizer, cacheDirectory: nil),
                     containing: [dir + "/big.bin", "2000", "vocabulary"])
    }

    func testRefusesMissingFilesAndUnknownKinds() throws {
        let dir = try makeTemporaryFolder(for: self, "data").path
        assertThrows(try TokenSource.load(path: dir + "/none.txt", tokenizer: tokenizer, cacheDirectory: nil), containing: [dir + "/none.txt", "not found"])
        assertThrows(try TokenSource.load(path: dir + "/data.csv", tokenizer: tokenizer, cacheDirectory: nil), containing: [dir + "/data.csv", "csv"])
        try Data([0x61, 0xFF, 0x62]).write(to: URL(fileURLWithPath: dir + "/latin1.txt"))
        assertThrows(try TokenSource.load(path: dir + "/latin1.txt", tokenizer: tokenizer, cacheDirectory: nil), containing: [dir + "/latin1.txt", "UTF-8"])
    }
}
