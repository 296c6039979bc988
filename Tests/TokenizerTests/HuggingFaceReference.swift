import Foundation
import TestSupport
import XCTest

/// Runs Hugging Face `tokenizers` (through `$MESHTOP_PYTHON`) as the reference encoder.
enum HuggingFaceReference {
    /// The ids `tokenizers.Tokenizer.from_file(tokenizer).encode(text).ids` gives for each text.
    /// Skips `test` when `MESHTOP_PYTHON` is unset or lacks the `tokenizers` package.
    static func encode(_ texts: [String], tokenizer: String, for test: XCTestCase) throws -> [[Int32]] {
        guard let python = ProcessInfo.processInfo.environment["MESHTOP_PYTHON"], !python.isEmpty else {
            throw XCTSkip("MESHTOP_PYTHON is not set: the Hugging Face cross-check needs a python with `tokenizers` (scripts/test.sh sets it)")
        }
        let probe = try ProcessRunner.run([python, "-c", "import tokenizers"], timeout: 60)
        guard probe.status == 0 else {
            throw XCTSkip("\(python) cannot import tokenizers: \(probe.stderr.suffix(300))")
        }
        let dir = try makeTemporaryFolder(for: test, "hf")
        let input = dir.appendingPathComponent("texts.json"), output = dir.appendingPathComponent("ids.bin")
        try JSONSerialization.data(withJSONObject: texts).write(to: input)
        // Output: for each text, its id count then its ids, all little-endian int32.
        let script = """
        import json, struct, sys
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(sys.argv[1])
        texts = json.load(open(sys.argv[2], encoding="utf-8"))
        with open(sys.argv[3], "wb") as f:
            for text in texts:
                ids = tok.encode(text).ids
                f.write(struct.pack("<i", len(ids)))
                f.write(struct.pack("<%di" % len(ids), *ids))
        """
        let result = try ProcessRunner.run([python, "-c", script, tokenizer, input.path, output.path], timeout: 600)
        guard result.status == 0 else { throw TestSupportError("the Python reference failed: \(result.stderr)") }
        let data = try Data(contentsOf: output)
        var values = [Int32](repeating: 0, count: data.count / 4)
        _ = values.withUnsafeMutableBytes { data.copyBytes(to: $0) }
        var lists = [[Int32]](), i = 0
        while i < values.count {
            let n = Int(Int32(littleEndian: values[i]))
            lists.append(values[(i + 1)..<(i + 1 + n)].map { Int32(littleEndian: $0) })
            i += 1 + n
        }
        XCTAssertEqual(lists.count, texts.count)
        return lists
    }

    /// The shipped tokenizer.json with some of its JSON changed, written to a folder of `test`'s.
    static func variant(for test: XCTestCase, _ change: (inout [String: Any]) -> Void) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: Products.dataFile("tokenizer.json")))
        var root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        change(&root)
        let path = try makeTemporaryFolder(for: test, "tok").appendingPathComponent("tokenizer.json").path
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Strings that exercise every branch of the pre-tokenizers.
let trickyStrings: [String] = [
    "Hello, world!",
    "don't can't I'm you're we've he'll she'd it's",
    "DON'T I'M YOU'RE WE'VE HE'LL SHE'D IT'S 'Tis",
    "  leading spaces and trailing   ",
    "runs  of   spaces    and\n\nnewlines\n\n\n  \n indented",
    "tabs\tand\t\tmore \t mixed\r\nwindows\r\n\r\nlines",
    "numbers 1 12 123 1234 12345 3.14159 1,000,000",
    "unicode letters: café naïve Zürich Ελληνικά русский 日本語 中文 한국어 עברית العربية",
    "unicode digits: ٣٤٥ ૧૨૩ ²³ Ⅷ ½ ①②",
    "emoji 😀👍🏽 👨‍👩‍👧 ❤️ 🇫🇷 and symbols ©®™ ∑∫ → ←",
    "no-break\u{00A0}space, ideographic\u{3000}space, nel\u{0085}x, line\u{2028}sep, \u{180E}mvs, \u{1C}fs",
    "special <|end_of_text|> inside <|begin_of_text|>text<|end_of_text|><|end_of_text|>",
    "<|end_of_text|>",
    " <|end_of_text|> x",
    "almost <|end_of_text| special <|begin_of_text",
    "punctuation!!! ... ??? --- ((( ))) \"quoted\" 'single' `back`",
    "'s's 's 't're've'm'll'd ''",
    "x'ſ 'Sabc",
    "\n",
    " ",
    "   ",
    "a",
    "",
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n",
    "(abc [def] {ghi} <jkl> «mno» “pqr” ‘stu’",
    "mixed123abc456 abc123 123abc ½abc x²y",
    String(repeating: "-", count: 300) + String(repeating: " ", count: 50) + "end",
]
