import Checksum
import Foundation

/// What a `tokenizer.json` says, read and checked against what BPETokenizer supports: the model's
/// vocabulary and merges, the added tokens and the pre-tokenizer. Anything else (another model
/// type, a normalizer, an unknown pre-tokenizer) is refused with an error naming it and the file.
struct TokenizerFile {
    /// Token string (as spelled in the file) -> id, the model vocabulary only.
    var vocab: [String: Int32] = [:]
    /// (left id << 32 | right id) -> (rank, merged id).
    var merges: [UInt64: (rank: Int32, id: Int32)] = [:]
    var ignoreMerges = false
    var unkId: Int32?
    var fuseUnk = false
    /// Added tokens, longest first (matched leftmost-longest in the raw text).
    var added: [(bytes: [UInt8], id: Int32)] = []
    var endOfText: Int32?
    var beginOfText: Int32?
    var splitter: SplitPattern?
    var prefixSpaceBeforeSplit = false
    var prefixSpaceAfterSplit = false
    /// SHA-256 of the file's bytes (hex).
    var fingerprint: String

    init(data: Data, path: String) throws {
        func fail(_ message: String) -> TokenizerError { TokenizerError("\(path): \(message)") }
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw fail("malformed JSON: the top level is not an object")
            }
            root = object
        } catch let error as TokenizerError { throw error } catch {
            // JSONSerialization's reasons say nothing more than this ("not in the correct format").
            throw fail("malformed JSON (a Hugging Face tokenizer.json is expected)")
        }
        fingerprint = data.withUnsafeBytes { SHA256.hex($0.bindMemory(to: UInt8.self)) }

        // Model.
        guard let model = root["model"] as? [String: Any] else { throw fail("no \"model\" object") }
        let type = model["type"] as? String ?? "BPE"
        guard type == "BPE" else { throw fail("unsupported model type \"\(type)\" (only BPE is supported)") }
        if model["byte_fallback"] as? Bool == true { throw fail("unsupported: byte_fallback (BPE with byte fallback)") }
        if let dropout = model["dropout"] as? Double, dropout != 0 { throw fail("unsupported: BPE dropout \(dropout)") }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[key] as? String, !value.isEmpty { throw fail("unsupported: \(key) \"\(value)\"") }
        }
        guard let rawVocab = model["vocab"] as? [String: Any] else { throw fail("model has no \"vocab\" object") }
        var vocab = [String: Int32](minimumCapacity: rawVocab.count)
        for (token, value) in rawVocab {
            guard let id = (value as? NSNumber)?.int32Value, id >= 0 else { throw fail("vocab entry \"\(token)\" has no valid id") }
            vocab[token] = id
        }
        ignoreMerges = model["ignore_merges"] as? Bool ?? false
        fuseUnk = model["fuse_unk"] as? Bool ?? false
        if let unk = model["unk_token"] as? String {
            guard let id = vocab[unk] else { throw fail("unk_token \"\(unk)\" is not in the vocabulary") }
            unkId = id
        } else { unkId = nil }

        var merges = [UInt64: (rank: Int32, id: Int32)]()
        let rawMerges = model["merges"] as? [Any] ?? []
        for (rank, entry) in rawMerges.enumerated() {
            let pair: [String]
            if let s = entry as? String {
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw fail("merge \(rank) \"\(s)\" is not two tokens separated by one space") }
                pair = parts.map(String.init)
            } else if let a = entry as? [Any], a.count == 2, let l = a[0] as? String, let r = a[1] as? String {
                pair = [l, r]
            } else { throw fail("merge \(rank) is neither \"a b\" nor [\"a\", \"b\"]") }
            guard let left = vocab[pair[0]] else { throw fail("merge \(rank): \"\(pair[0])\" is not in the vocabulary") }
            guard let right = vocab[pair[1]] else { throw fail("merge \(rank): \"\(pair[1])\" is not in the vocabulary") }
            guard let merged = vocab[pair[0] + pair[1]] else { throw fail("merge \(rank): \"\(pair[0] + pair[1])\" is not in the vocabulary") }
            merges[UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))] = (Int32(rank), merged)
        }
        self.merges = merges

        // Added tokens.
        var added = [(bytes: [UInt8], id: Int32)]()
        var endOfText: Int32? = nil, beginOfText: Int32? = nil
        for (index, raw) in (root["added_tokens"] as? [Any] ?? []).enumerated() {
            guard let token = raw as? [String: Any], let content = token["content"] as? String,
                  let id = (token["id"] as? NSNumber)?.int32Value else { throw fail("added token \(index) has no content or id") }
            for flag in ["single_word", "lstrip", "rstrip"] where token[flag] as? Bool == true {
                throw fail("unsupported: added token \"\(content)\" with \(flag) true")
            }
            if !content.isEmpty { added.append((Array(content.utf8), id)) }
            switch content {
            case "<|end_of_text|>", "<|endoftext|>": if endOfText == nil || content == "<|end_of_text|>" { endOfText = id }
            case "<|begin_of_text|>", "<|startoftext|>": if beginOfText == nil || content == "<|begin_of_text|>" { beginOfText = id }
            default: break
            }
        }
        added.sort { $0.bytes.count > $1.bytes.count }
        self.added = added
        self.endOfText = endOfText
        self.beginOfText = beginOfText

        // Normalizer.
        if let normalizer = root["normalizer"], !(normalizer is NSNull) {
            let name = (normalizer as? [String: Any])?["type"] as? String ?? "?"
            if !(name == "Sequence" && ((normalizer as? [String: Any])?["normalizers"] as? [Any])?.isEmpty == true) {
                throw fail("unsupported normalizer type \"\(name)\" (only null is supported)")
            }
        }

        // Pre-tokenizer.
        guard let pre = root["pre_tokenizer"] as? [String: Any] else {
            throw fail("unsupported pre-tokenizer: null (a ByteLevel pre-tokenizer is required)")
        }
        func byteLevel(_ p: [String: Any]) -> (prefix: Bool, regex: Bool) {
            (p["add_prefix_space"] as? Bool ?? true, p["use_regex"] as? Bool ?? true)
        }
        let preType = pre["type"] as? String ?? "?"
        var steps = [[String: Any]]()
        if preType == "Sequence" {
            steps = pre["pretokenizers"] as? [[String: Any]] ?? []
        } else { steps = [pre] }
        if steps.count == 1, steps[0]["type"] as? String == "ByteLevel" {
            let b = byteLevel(steps[0])
            splitter = b.regex ? .gpt2 : nil
            prefixSpaceBeforeSplit = b.prefix
            prefixSpaceAfterSplit = false
        } else if steps.count == 2, steps[0]["type"] as? String == "Split", steps[1]["type"] as? String == "ByteLevel" {
            let split = steps[0]
            guard let regex = (split["pattern"] as? [String: Any])?["Regex"] as? String else {
                throw fail("unsupported Split pre-tokenizer pattern \(split["pattern"] ?? "nil") (only a Regex is supported)")
            }
            guard let pattern = SplitPattern(regex: regex) else {
                throw fail("unsupported Split regex \(regex) (only the GPT-2 and Llama 3 regexes are supported)")
            }
            guard split["behavior"] as? String == "Isolated", split["invert"] as? Bool != true else {
                throw fail("unsupported Split behavior \(split["behavior"] ?? "nil") (only Isolated, not inverted)")
            }
            let b = byteLevel(steps[1])
            guard !b.regex else { throw fail("unsupported: Split followed by ByteLevel with use_regex true") }
            splitter = pattern
            prefixSpaceBeforeSplit = false
            prefixSpaceAfterSplit = b.prefix
        } else {
            let names = steps.map { $0["type"] as? String ?? "?" }.joined(separator: ", ")
            throw fail("unsupported pre-tokenizer \(preType)\(preType == "Sequence" ? " [\(names)]" : "") (supported: ByteLevel, or Sequence [Split, ByteLevel])")
        }
        self.vocab = vocab
    }
}
