import Foundation

/// A Hugging Face byte-level BPE tokenizer (`tokenizer.json`), encoding bit-identically to the
/// `tokenizers` library for the shapes it accepts:
///
/// - model `BPE` (no `byte_fallback`, no dropout, no subword prefix/suffix), merges as
///   `["a", "b"]` or `"a b"`, `ignore_merges`, `unk_token`/`fuse_unk`;
/// - normalizer `null`;
/// - pre-tokenizer `ByteLevel` (`use_regex` true: the GPT-2 regex, or false; `add_prefix_space`),
///   or a `Sequence` of `Split` (the GPT-2 or the Llama 3 regex, behavior `Isolated`) and
///   `ByteLevel` with `use_regex: false` (the Llama 3 shape);
/// - added tokens (matched in the raw text first, leftmost-longest, as `tokenizers` does).
///
/// Anything else is refused when loading, with an error naming it. The post-processor is not
/// applied: `encode` never adds BOS/EOS. Not thread-safe (the word cache is shared): use one
/// instance per thread.
public final class BPETokenizer {
    /// Token string (as spelled in the file) -> id, for the model vocabulary and added tokens.
    private let vocab: [String: Int32]
    /// id -> its bytes (added tokens: their UTF-8 content; vocabulary tokens: byte-level decoded).
    private let idBytes: [[UInt8]]
    /// id -> the token as the file spells it ("" for ids no token has).
    private let idTokens: [String]
    /// (left id << 32 | right id) -> (rank, merged id).
    private let merges: [UInt64: (rank: Int32, id: Int32)]
    /// The id of each single byte's token, -1 when the vocabulary lacks it.
    private let byteIds: [Int32]
    /// Raw bytes -> id, for `ignore_merges`.
    private let vocabByBytes: [[UInt8]: Int32]
    private let ignoreMerges: Bool
    private let unkId: Int32?
    private let fuseUnk: Bool
    private let addedTokens: [(bytes: [UInt8], id: Int32)]   // longest first
    private let addedFirstByte: [Bool]
    private let splitter: SplitPattern?
    private let prefixSpaceBeforeSplit: Bool
    private let prefixSpaceAfterSplit: Bool
    private let classes: [UInt8] = CharClass.bmp
    private let cache = WordCache()

    /// The embedding rows ids need: 1 + the largest id of the vocabulary and added tokens.
    public let vocabSize: Int
    /// `<|end_of_text|>` (or `<|endoftext|>`) when the file has it as an added token.
    public let endOfText: Int32?
    /// `<|begin_of_text|>` (or `<|startoftext|>`) when the file has it as an added token.
    public let beginOfText: Int32?
    /// SHA-256 of the file's bytes (hex): stable across runs and machines, for cache keys.
    public let fingerprint: String
    /// The file this tokenizer was loaded from.
    public let path: String

    public convenience init(contentsOf path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TokenizerError("tokenizer file not found: \(path)")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TokenizerError("cannot read tokenizer file \(path): \(error.localizedDescription)")
        }
        try self.init(data: data, path: path)
    }

    /// Loads from the bytes of a `tokenizer.json`; `path` only names it in errors.
    public init(data: Data, path: String = "<memory>") throws {
        let file = try TokenizerFile(data: data, path: path)
        self.path = path
        fingerprint = file.fingerprint
        merges = file.merges
        ignoreMerges = file.ignoreMerges
        unkId = file.unkId
        fuseUnk = file.fuseUnk
        addedTokens = file.added
        var first = [Bool](repeating: false, count: 256)
        for a in file.added { first[Int(a.bytes[0])] = true }
        addedFirstByte = first
        endOfText = file.endOfText
        beginOfText = file.beginOfText
        splitter = file.splitter
        prefixSpaceBeforeSplit = file.prefixSpaceBeforeSplit
        prefixSpaceAfterSplit = file.prefixSpaceAfterSplit
        let vocab = file.vocab, added = file.added

        // Lookup tables for encoding and decoding.
        var byteIds = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            if let id = vocab[String(Character(ByteLevel.scalars[b]))] { byteIds[b] = id }
        }
        self.byteIds = byteIds
        var maxId: Int32 = -1
        for (_, id) in vocab { maxId = max(maxId, id) }
        for a in added { maxId = max(maxId, a.id) }
        vocabSize = Int(maxId) + 1
        var idBytes = [[UInt8]](repeating: [], count: vocabSize)
        var vocabByBytes = [[UInt8]: Int32]()
        for (token, id) in vocab {
            let bytes = ByteLevel.decode(token) ?? Array(token.utf8)
            idBytes[Int(id)] = bytes
            if ignoreMerges { vocabByBytes[bytes] = id }
        }
        var allTokens = vocab
        var idTokens = [String](repeating: "", count: vocabSize)
        for (token, id) in vocab { idTokens[Int(id)] = token }
        for a in added {
            idBytes[Int(a.id)] = a.bytes
            let content = String(decoding: a.bytes, as: UTF8.self)
            allTokens[content] = a.id
            idTokens[Int(a.id)] = content
        }
        self.idTokens = idTokens
        self.idBytes = idBytes
        self.vocabByBytes = vocabByBytes
        self.vocab = allTokens
    }

    /// The id of a token as the file spells it (`"Ġthe"`, `"<|end_of_text|>"`).
    public func id(of token: String) -> Int32? { vocab[token] }

    /// The token string of an id as the file spells it (byte-level), or nil when out of range.
    public func token(of id: Int32) -> String? {
        guard id >= 0, Int(id) < idTokens.count, !idTokens[Int(id)].isEmpty else { return nil }
        return idTokens[Int(id)]
    }

    // MARK: Encoding

    /// The ids of `text`, with no BOS/EOS added.
    public func encode(_ text: String) -> [Int32] {
        var text = text
        return text.withUTF8 { encode(bytes: $0) }
    }

    /// The ids of UTF-8 bytes (a whole file, say), with no BOS/EOS added.
    public func encode(bytes: UnsafeBufferPointer<UInt8>) -> [Int32] {
        var out = [Int32]()
        encode(bytes: bytes, into: &out)
        return out
    }

    /// Appends the ids of UTF-8 bytes to `out`.
    public func encode(bytes: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        out.reserveCapacity(out.count + bytes.count / 3)
        let n = bytes.count
        var start = 0
        if addedTokens.isEmpty {
            encodeSegment(base, start, n, &out)
            return
        }
        var i = 0
        while i < n {
            if addedFirstByte[Int(base[i])], let token = addedTokenAt(base, i, n) {
                encodeSegment(base, start, i, &out)
                out.append(token.id)
                i += token.length
                start = i
            } else {
                i += 1
            }
        }
        encodeSegment(base, start, n, &out)
    }

    private func addedTokenAt(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> (id: Int32, length: Int)? {
        for a in addedTokens where a.bytes.count <= n - i {
            var equal = true
            for k in 0..<a.bytes.count where a.bytes[k] != p[i + k] { equal = false; break }
            if equal { return (a.id, a.bytes.count) }
        }
        return nil
    }

    /// Pre-tokenizes and encodes the text between two added tokens.
    private func encodeSegment(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ out: inout [Int32]) {
        guard end > start else { return }
        if prefixSpaceBeforeSplit && p[start] != 0x20 {
            var spaced = [UInt8](repeating: 0x20, count: end - start + 1)
            for k in 0..<(end - start) { spaced[k + 1] = p[start + k] }
            spaced.withUnsafeBufferPointer { splitAndEncode($0.baseAddress!, 0, $0.count, &out) }
        } else {
            splitAndEncode(p, start, end, &out)
        }
    }

    private func splitAndEncode(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ out: inout [Int32]) {
        classes.withUnsafeBufferPointer { table in
            let scanner = Scanner(p: p, end: end, bmp: table.baseAddress!)
            var i = start
            switch splitter {
            case .gpt2?:
                while i < end { let j = scanner.gpt2(i); encodeWord(p + i, j - i, &out); i = j }
            case .llama3?:
                while i < end { let j = scanner.llama3(i); encodeWord(p + i, j - i, &out); i = j }
            case nil:
                encodeWord(p + start, end - start, &out)
            }
        }
    }

    @inline(__always)
    private func encodeWord(_ p: UnsafePointer<UInt8>, _ n: Int, _ out: inout [Int32]) {
        if prefixSpaceAfterSplit && p[0] != 0x20 {
            var spaced = [UInt8](repeating: 0x20, count: n + 1)
            for k in 0..<n { spaced[k + 1] = p[k] }
            spaced.withUnsafeBufferPointer { cachedWord($0.baseAddress!, n + 1, &out) }
        } else {
            cachedWord(p, n, &out)
        }
    }

    @inline(__always)
    private func cachedWord(_ p: UnsafePointer<UInt8>, _ n: Int, _ out: inout [Int32]) {
        let h = WordCache.hash(p, n)
        if let (start, count) = cache.lookup(p, n, hash: h) {
            let ids = cache.ids
            if count == 1 { out.append(ids[start]) } else {
                out.append(contentsOf: UnsafeBufferPointer(start: ids + start, count: count))
            }
            return
        }
        let ids = bpe(p, n)
        cache.insert(p, n, hash: h, ids: ids)
        out.append(contentsOf: ids)
    }

    /// Merges one pre-token's bytes as `tokenizers`' `Word::merge_all` does: a heap of candidate
    /// pairs ordered by (rank, position); a popped pair is applied only if its two symbols are
    /// still adjacent and still merge to the same id.
    private func bpe(_ p: UnsafePointer<UInt8>, _ n: Int) -> [Int32] {
        if ignoreMerges, let id = vocabByBytes[Array(UnsafeBufferPointer(start: p, count: n))] { return [id] }
        // Symbols: id, prev, next, alive.
        var ids = [Int32](), prev = [Int](), next = [Int](), alive = [Bool]()
        ids.reserveCapacity(n)
        var lastWasUnk = false
        for k in 0..<n {
            let id = byteIds[Int(p[k])]
            if id >= 0 {
                ids.append(id); lastWasUnk = false
            } else if let unk = unkId {
                if fuseUnk && lastWasUnk { continue }
                ids.append(unk); lastWasUnk = true
            }
        }
        let count = ids.count
        if count < 2 { return ids }
        for k in 0..<count { prev.append(k - 1); next.append(k + 1); alive.append(true) }

        struct Candidate { var key: UInt64; var id: Int32 }   // key = rank << 32 | position
        var heap = [Candidate]()
        func push(_ c: Candidate) {
            heap.append(c)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                if heap[parent].key <= heap[i].key { break }
                heap.swapAt(parent, i); i = parent
            }
        }
        func pop() -> Candidate {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var i = 0
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var m = i
                    if l < heap.count && heap[l].key < heap[m].key { m = l }
                    if r < heap.count && heap[r].key < heap[m].key { m = r }
                    if m == i { break }
                    heap.swapAt(m, i); i = m
                }
            }
            return top
        }
        func pairKey(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }
        for k in 0..<(count - 1) {
            if let m = merges[pairKey(ids[k], ids[k + 1])] {
                push(Candidate(key: UInt64(m.rank) << 32 | UInt64(k), id: m.id))
            }
        }
        while !heap.isEmpty {
            let top = pop()
            let pos = Int(top.key & 0xFFFF_FFFF)
            guard alive[pos], next[pos] < count else { continue }
            let right = next[pos]
            guard let m = merges[pairKey(ids[pos], ids[right])], m.id == top.id else { continue }
            ids[pos] = top.id
            alive[right] = false
            next[pos] = next[right]
            if next[right] < count { prev[next[right]] = pos }
            if prev[pos] >= 0, let m = merges[pairKey(ids[prev[pos]], ids[pos])] {
                push(Candidate(key: UInt64(m.rank) << 32 | UInt64(prev[pos]), id: m.id))
            }
            if next[pos] < count, let m = merges[pairKey(ids[pos], ids[next[pos]])] {
                push(Candidate(key: UInt64(m.rank) << 32 | UInt64(pos), id: m.id))
            }
        }
        var result = [Int32]()
        var k = 0
        while k < count { result.append(ids[k]); k = next[k] }
        return result
    }

    // MARK: Decoding

    /// The bytes ids stand for (ids out of range are skipped, as `tokenizers` does).
    public func decodeBytes(_ ids: [Int32]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(ids.count * 4)
        for id in ids where id >= 0 && Int(id) < idBytes.count { out.append(contentsOf: idBytes[Int(id)]) }
        return out
    }

    /// The text ids stand for, special tokens included; invalid UTF-8 becomes U+FFFD.
    public func decode(_ ids: [Int32]) -> String {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }
}
