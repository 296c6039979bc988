import Dataset
import Foundation
import TestSupport
import Tokenizer
import XCTest

/// `meshtop tokenize`, through the built binary.
final class TokenizeCommandTests: XCTestCase {
    func testWritesTheCorpusAsATokenFile() throws {
        let out = try makeTemporaryFolder(for: self, "data").path + "/shakespeare.bin"
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "tokenize",
                                            "--tokenizer", Products.dataFile("tokenizer.json"),
                                            Products.dataFile("tinyshakespeare.txt"), "-o", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let tokenizer = try BPETokenizer(contentsOf: Products.dataFile("tokenizer.json"))
        let expected = tokenizer.encode(try String(contentsOfFile: Products.dataFile("tinyshakespeare.txt"), encoding: .utf8))
        XCTAssertTrue(try TokenFile.read(out) == expected)
        XCTAssertTrue(result.stdout.contains("\(expected.count) tokens"), result.stdout)
        XCTAssertTrue(result.stdout.contains("MB/s"), result.stdout)
    }

    func testErrorsNameTheBadFile() throws {
        let dir = try makeTemporaryFolder(for: self, "data").path
        let meshtop = try Products.executable("meshtop")
        let missingTokenizer = try ProcessRunner.run([meshtop, "tokenize", "--tokenizer", dir + "/nope.json",
                                                      Products.dataFile("tinyshakespeare.txt"), "-o", dir + "/o.bin"])
        XCTAssertNotEqual(missingTokenizer.status, 0)
        XCTAssertTrue(missingTokenizer.stderr.contains(dir + "/nope.json"), missingTokenizer.stderr)

        let missingInput = try ProcessRunner.run([meshtop, "tokenize", "--tokenizer", Products.dataFile("tokenizer.json"),
                                                  dir + "/nope.txt", "-o", dir + "/o.bin"])
        XCTAssertNotEqual(missingInput.status, 0)
        XCTAssertTrue(missingInput.stderr.contains(dir + "/nope.txt"), missingInput.stderr)

        try "{\"text\": \"fine\"}\nnot json\n".write(toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
        let badLine = try ProcessRunner.run([meshtop, "tokenize", "--tokenizer", Products.dataFile("tokenizer.json"),
                                             dir + "/bad.jsonl", "-o", dir + "/o.bin"])
        XCTAssertNotEqual(badLine.status, 0)
        XCTAssertTrue(badLine.stderr.contains(dir + "/bad.jsonl:2"), badLine.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/o.bin"))
    }
}
