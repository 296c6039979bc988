import Checksum
import Foundation
import Tokenizer

/// The tokens a run trains on, from one data file:
///
/// - `.txt`: plain UTF-8 text, tokenized whole (no BOS/EOS added);
/// - `.jsonl`: one JSON object per line with a `"text"` string; the documents' tokens are joined
///   with the tokenizer's end-of-text token between consecutive documents (blank lines skipped);
/// - `.bin`: an llm.c token file (`TokenFile`), used as is.
///
/// Text is tokenized once: with a cache directory, the tokens are stored there as an llm.c token
/// file named by the SHA-256 of the data file's bytes and the tokenizer's fingerprint, and a later
/// load of the same data with the same tokenizer reads that file instead of tokenizing.
public final class TokenSource {
    /// The tokens, in order.
    public let tokens: [Int32]
    /// The data file the tokens came from.
    public let path: String
    /// The cache file read or written, when caching was used.
    public let cachePath: String?
    /// True when the tokens were read from the cache rather than tokenized.
    public let loadedFromCache: Bool

    public var count: Int { tokens.count }

    public init(tokens: [Int32], path: String, cachePath: String? = nil, loadedFromCache: Bool = false) {
        self.tokens = tokens
        self.path = path
        self.cachePath = cachePath
        self.loadedFromCache = loadedFromCache
    }

    /// Calls `body` with the tokens as a buffer (what `BatchPlan.fill` reads).
    public func withTokens<R>(_ body: (UnsafeBufferPointer<Int32>) throws -> R) rethrows -> R {
        try tokens.withUnsafeBufferPointer(body)
    }

    /// The kind of data file a path names, from its extension.
    public enum Kind: String { case text = "txt", jsonl, bin }

    public static func kind(of path: String) throws -> Kind {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard let kind = Kind(rawValue: ext) else {
            throw DatasetError("\(path): unsupported data file extension \"\(ext)\" (expected .txt, .jsonl or .bin)")
        }
        return kind
    }

    public static func load(path: String, tokenizer: BPETokenizer, cacheDirectory: String?) throws -> TokenSource {
        let kind = try kind(of: path)
        if kind == .bin {
            let tokens = try TokenFile.read(path)
            try checkRange(tokens, tokenizer: tokenizer, path: path)
            return TokenSource(tokens: tokens, path: path)
        }
        let data = try readData(path)
        // The llm.c file holds UInt16 ids: larger vocabularies are tokenized on every load.
        guard let cacheDirectory, tokenizer.vocabSize <= 65536 else {
            return TokenSource(tokens: try tokenize(data, kind: kind, path: path, tokenizer: tokenizer), path: path)
        }
        let dataHash = data.withUnsafeBytes { SHA256.hex($0.bindMemory(to: UInt8.self)) }
        let name = "\(kind.rawValue)-\(dataHash.prefix(32))-tok-\(tokenizer.fingerprint.prefix(16)).bin"
        let cachePath = URL(fileURLWithPath: cacheDirectory).appendingPathComponent(name).path
        if FileManager.default.fileExists(atPath: cachePath),
           let tokens = try? TokenFile.read(cachePath),
           (try? checkRange(tokens, tokenizer: tokenizer, path: cachePath)) != nil {
            return TokenSource(tokens: tokens, path: path, cachePath: cachePath, loadedFromCache: true)
        }
        let tokens = try tokenize(data, kind: kind, path: path, tokenizer: tokenizer)
        do {
            try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        } catch {
            throw DatasetError("cannot create the token cache directory \(cacheDirectory): \(error.localizedDescription)")
        }
        try TokenFile.write(tokens, to: cachePath)
        return TokenSource(tokens: tokens, path: path, cachePath: cachePath, loadedFromCache: false)
    }

    /// The ids of a `.txt` or `.jsonl` file (no cache, no BOS/EOS at the ends).
    public static func tokenize(path: String, tokenizer: BPETokenizer) throws -> [Int32] {
        let kind = try kind(of: path)
        guard kind != .bin else { throw DatasetError("\(path) is already a token file (.bin); give a .txt or .jsonl file") }
        return try tokenize(try readData(path), kind: kind, path: path, tokenizer: tokenizer)
    }

    static func readData(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw DatasetError("data file not found: \(path)") }
        do { return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw DatasetError("cannot read data file \(path): \(error.localizedDescription)")
        }
    }

    static func tokenize(_ data: Data, kind: Kind, path: String, tokenizer: BPETokenizer) throws -> [Int32] {
        switch kind {
        case .bin:
            throw DatasetError("\(path) is already a token file")
        case .text:
            return try data.withUnsafeBytes { raw -> [Int32] in
                let bytes = raw.bindMemory(to: UInt8.self)
                guard isValidUTF8(bytes) else {
                    throw DatasetError("\(path): not valid UTF-8 text")
                }
                return tokenizer.encode(bytes: bytes)
            }
        case .jsonl:
            guard let endOfText = tokenizer.endOfText else {
                throw DatasetError("\(path): the tokenizer \(tokenizer.path) has no end-of-text token to join .jsonl documents with")
            }
            var tokens = [Int32]()
            tokens.reserveCapacity(data.count / 3)
            var documents = 0
            var lineNumber = 0
            var lineStart = data.startIndex
            while lineStart < data.endIndex {
                let lineEnd = data[lineStart...].firstIndex(of: 0x0A) ?? data.endIndex
                lineNumber += 1
                let line = data[lineStart..<lineEnd]
                lineStart = lineEnd < data.endIndex ? lineEnd + 1 : lineEnd
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                let object: Any
                do { object = try JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed]) } catch {
                    throw DatasetError("\(path):\(lineNumber): not valid JSON")
                }
                guard let record = object as? [String: Any] else {
                    throw DatasetError("\(path):\(lineNumber): not a JSON object")
                }
                guard let text = record["text"] as? String else {
                    throw DatasetError("\(path):\(lineNumber): no \"text\" string field")
                }
                if documents > 0 { tokens.append(endOfText) }
                var t = text
                t.withUTF8 { tokenizer.encode(bytes: $0, into: &tokens) }
                documents += 1
            }
            return tokens
        }
    }

    /// True when the bytes are well-formed UTF-8.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    static func checkRange(_ tokens: [Int32], tokenizer: BPETokenizer, path: String) throws {
        let limit = Int32(tokenizer.vocabSize)
        if let bad = tokens.firstIndex(where: { $0 < 0 || $0 >= limit }) {
            throw DatasetError("\(path): token \(tokens[bad]) at position \(bad) is outside the tokenizer's vocabulary (size \(limit))")
        }
    }
}
