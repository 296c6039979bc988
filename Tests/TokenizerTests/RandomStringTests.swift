import Foundation
import TestSupport
import Tokenizer
import XCTest

/// Random strings drawn from every character class the scanners distinguish, cross-checked
/// against Hugging Face for the GPT-2 and the Llama 3 pre-tokenizers.
final class RandomStringTests: XCTestCase {
    static let pieces: [String] = [
        "a", "b", "Z", "the", "The", " ", " ", "  ", "\n", "\n\n", "\r\n", "\r", "\t", "\u{0B}", "\u{0C}",
        "'", "'s", "'S", "'t", "'re", "'VE", "'m", "'ll", "'d", "'x", "ſ",
        "0", "7", "42", "1234", "²", "Ⅷ", "٣", "½",
        ".", ",", "!", "?", "-", "--", "(", ")", "\"", "<", "|", ">", "_", "#", "@", "€", "→", "©",
        "é", "e\u{0301}", "ß", "ı", "Ж", "λ", "日本", "한", "ע", "ب", "ǅ", "ʰ",
        "\u{00A0}", "\u{3000}", "\u{0085}", "\u{2028}", "\u{2009}", "\u{180E}", "\u{200B}", "\u{FEFF}", "\u{1C}",
        "😀", "👍🏽", "👨‍👩‍👧", "🇫🇷", "\u{1D400}", "\u{10400}",
        "<|end_of_text|>", "<|begin_of_text|>", "<|end_of_text|", "<|", "|>",
    ]

    static func strings(count: Int, seed: UInt64) -> [String] {
        var state = seed
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        return (0..<count).map { _ in
            let length = 1 + next() % 24
            return (0..<length).map { _ in pieces[next() % pieces.count] }.joined()
        }
    }

    func testGPT2PreTokenizerOnRandomStrings() throws {
        let path = Products.dataFile("tokenizer.json")
        let strings = Self.strings(count: 3000, seed: 1)
        let tok = try assertMatchesHuggingFace(path, strings, "GPT-2")
        for s in strings { XCTAssertEqual(tok.decode(tok.encode(s)), s) }
    }

    func testLlama3PreTokenizerOnRandomStrings() throws {
        for (prefix, ignoreMerges) in [(false, true), (true, false)] {
            let path = try BPETokenizerTests.llama3Variant(for: self, prefix: prefix, ignoreMerges: ignoreMerges)
            try assertMatchesHuggingFace(path, Self.strings(count: 3000, seed: 2), "Llama 3, prefix \(prefix)")
        }
    }

    /// The tokenizer at `path` encodes every string as Hugging Face does; only the first few
    /// differences are reported (thousands of strings). Returns the tokenizer.
    @discardableResult
    private func assertMatchesHuggingFace(_ path: String, _ strings: [String], _ name: String) throws -> BPETokenizer {
        let reference = try HuggingFaceReference.encode(strings, tokenizer: path, for: self)
        let tok = try BPETokenizer(contentsOf: path)
        var failures = 0
        for (s, expected) in zip(strings, reference) where tok.encode(s) != expected {
            failures += 1
            if failures <= 5 { XCTFail("\(name): \(s.debugDescription): \(tok.encode(s)) vs Hugging Face \(expected)") }
        }
        XCTAssertEqual(failures, 0, name)
        return tok
    }
}
