import Checksum
import Foundation
import TestSupport
import Tokenizer
import XCTest

final class BPETokenizerTests: XCTestCase {
    static let path = Products.dataFile("tokenizer.json")

    func testLoadsTheShippedTokenizer() throws {
        let tok = try BPETokenizer(contentsOf: Self.path)
        XCTAssertEqual(tok.vocabSize, 2000)
        XCTAssertEqual(tok.beginOfText, 0)
        XCTAssertEqual(tok.endOfText, 1)
        XCTAssertEqual(tok.id(of: "<|end_of_text|>"), 1)
        XCTAssertEqual(tok.id(of: "!"), 2)
        XCTAssertNil(tok.id(of: "no such token"))
        XCTAssertEqual(tok.token(of: 1), "<|end_of_text|>")
        XCTAssertEqual(tok.token(of: 2), "!")
        XCTAssertNil(tok.token(of: 2000))
        XCTAssertEqual(tok.encode(" the").map { tok.token(of: $0) }, ["Ġthe"])
        XCTAssertEqual(tok.fingerprint.count, 64)
        XCTAssertEqual(try BPETokenizer(contentsOf: Self.path).fingerprint, tok.fingerprint)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.path))
        XCTAssertEqual(tok.fingerprint, SHA256.hex([UInt8](bytes)))
    }

    /// GPT-2's spelling of the end-of-text token is accepted too.
    func testAcceptsEndoftextSpelling() throws {
        let path = try HuggingFaceReference.variant(for: self) { root in
            var added = root["added_tokens"] as! [[String: Any]]
            added[1]["content"] = "<|endoftext|>"
            root["added_tokens"] = added
            var model = root["model"] as! [String: Any]
            var vocab = model["vocab"] as! [String: Any]
            vocab["<|endoftext|>"] = vocab.removeValue(forKey: "<|end_of_text|>")
            model["vocab"] = vocab
            root["model"] = model
        }
        let tok = try BPETokenizer(contentsOf: path)
        XCTAssertEqual(tok.endOfText, 1)
        XCTAssertEqual(tok.encode("a<|endoftext|>b"), [tok.encode("a")[0], 1, tok.encode("b")[0]])
        XCTAssertNotEqual(try BPETokenizer(contentsOf: Self.path).fingerprint, tok.fingerprint)
    }

    func testFingerprintIsTheSHA256OfTheFile() throws {
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let long = [UInt8](repeating: 0x61, count: 1_000_000)
        XCTAssertEqual(SHA256.hex(long), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var split = SHA256()
        split.update(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8).prefix(13))
        split.update(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8).dropFirst(13))
        XCTAssertEqual(split.hexDigest(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// The whole corpus, id for id, against Hugging Face `tokenizers`.
    func testMatchesHuggingFaceOnTheWholeCorpus() throws {
        let text = try String(contentsOfFile: Products.dataFile("tinyshakespeare.txt"), encoding: .utf8)
        let reference = try HuggingFaceReference.encode([text], tokenizer: Self.path, for: self)[0]
        let ids = try BPETokenizer(contentsOf: Self.path).encode(text)
        XCTAssertEqual(ids.count, reference.count)
        if let first = zip(ids, reference).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
            XCTFail("first difference at token \(first.offset): \(first.element.0) vs Hugging Face \(first.element.1)")
        }
        XCTAssertGreaterThan(reference.count, 300_000)
    }

    func testMatchesHuggingFaceOnTrickyStrings() throws {
        try assertMatchesReference(Self.path)
    }

    func testRoundTripsTheCorpusAndTrickyStrings() throws {
        let tok = try BPETokenizer(contentsOf: Self.path)
        let text = try String(contentsOfFile: Products.dataFile("tinyshakespeare.txt"), encoding: .utf8)
        XCTAssertTrue(tok.decode(tok.encode(text)) == text)
        for s in trickyStrings { XCTAssertEqual(tok.decode(tok.encode(s)), s) }
    }

    func testEncodesBytesLikeText() throws {
        let tok = try BPETokenizer(contentsOf: Self.path)
        for s in trickyStrings {
            let viaBytes = Array(s.utf8).withUnsafeBufferPointer { tok.encode(bytes: $0) }
            XCTAssertEqual(viaBytes, tok.encode(s))
        }
        XCTAssertEqual(tok.encode("a<|end_of_text|>b").filter { $0 == 1 }.count, 1)
    }

    /// The "a b" merge format gives the same tokenizer as ["a", "b"].
    func testStringMergesFormat() throws {
        let path = try HuggingFaceReference.variant(for: self) { root in
            var model = root["model"] as! [String: Any]
            model["merges"] = (model["merges"] as! [[String]]).map { $0.joined(separator: " ") }
            root["model"] = model
        }
        let a = try BPETokenizer(contentsOf: path), b = try BPETokenizer(contentsOf: Self.path)
        for s in trickyStrings { XCTAssertEqual(a.encode(s), b.encode(s)) }
        try assertMatchesReference(path)
    }

    func testAddPrefixSpaceMatchesHuggingFace() throws {
        let path = try HuggingFaceReference.variant(for: self) { root in
            var pre = root["pre_tokenizer"] as! [String: Any]
            pre["add_prefix_space"] = true
            root["pre_tokenizer"] = pre
        }
        try assertMatchesReference(path)
    }

    func testByteLevelWithoutRegexMatchesHuggingFace() throws {
        let path = try HuggingFaceReference.variant(for: self) { root in
            root["pre_tokenizer"] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false]
        }
        try assertMatchesReference(path, strings: trickyStrings.filter { $0.utf8.count < 200 })
    }

    /// The Llama 3 shape: Split with the Llama 3 regex, then ByteLevel without regex.
    func testLlama3PreTokenizerMatchesHuggingFace() throws {
        for prefix in [false, true] {
            for ignoreMerges in [false, true] {
                let path = try Self.llama3Variant(for: self, prefix: prefix, ignoreMerges: ignoreMerges)
                try assertMatchesReference(path)
            }
        }
        let path = try Self.llama3Variant(for: self, prefix: false, ignoreMerges: true)
        let text = try String(contentsOfFile: Products.dataFile("tinyshakespeare.txt"), encoding: .utf8)
        let reference = try HuggingFaceReference.encode([text], tokenizer: path, for: self)[0]
        XCTAssertTrue(try BPETokenizer(contentsOf: path).encode(text) == reference)
    }

    static func llama3Variant(for test: XCTestCase, prefix: Bool, ignoreMerges: Bool) throws -> String {
        try HuggingFaceReference.variant(for: test) { root in
            root["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#],
                 "behavior": "Isolated", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": prefix, "trim_offsets": true, "use_regex": false],
            ]]
            var model = root["model"] as! [String: Any]
            model["ignore_merges"] = ignoreMerges
            root["model"] = model
        }
    }

    private func assertMatchesReference(_ path: String, strings: [String] = trickyStrings,
                                        file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try HuggingFaceReference.encode(strings, tokenizer: path, for: self)
        let tok = try BPETokenizer(contentsOf: path)
        for (s, expected) in zip(strings, reference) {
            XCTAssertEqual(tok.encode(s), expected, "\(s.debugDescription) with \(path)", file: file, line: line)
        }
    }

    // MARK: Refusals

    func testRefusesAMissingFile() {
        XCTAssertThrowsError(try BPETokenizer(contentsOf: "/nonexistent/tokenizer.json")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/tokenizer.json"), "\(error)")
        }
    }

    func testRefusesMalformedJSON() throws {
        let path = try makeTemporaryFolder(for: self, "bad").appendingPathComponent("tokenizer.json").path
        try "{\"model\": ".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BPETokenizer(contentsOf: path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("malformed JSON"), "\(error)")
        }
    }

    func testRefusesWhatIsNotSupported() throws {
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("WordPiece", { root in var m = root["model"] as! [String: Any]; m["type"] = "WordPiece"; root["model"] = m }),
            ("byte_fallback", { root in var m = root["model"] as! [String: Any]; m["byte_fallback"] = true; root["model"] = m }),
            ("NFC", { root in root["normalizer"] = ["type": "NFC"] }),
            ("Whitespace", { root in root["pre_tokenizer"] = ["type": "Whitespace"] }),
            ("Metaspace", { root in root["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [["type": "Metaspace"]]] }),
            ("Split regex", { root in root["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": "\\w+"], "behavior": "Isolated", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false]]] }),
        ]
        for (name, change) in cases {
            let path = try HuggingFaceReference.variant(for: self, change)
            XCTAssertThrowsError(try BPETokenizer(contentsOf: path), name) { error in
                XCTAssertTrue("\(error)".contains(name) && "\(error)".contains(path), "\(name): \(error)")
            }
        }
    }
}
