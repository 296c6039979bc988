import Foundation

/// llm.c's token file: a header of 256 little-endian Int32 — magic 20240520, version 1, the token
/// count, then zeros — followed by the tokens as little-endian UInt16.
public struct TokenFile {
    public static let magic: Int32 = 20240520
    public static let version: Int32 = 1
    public static let headerBytes = 256 * 4

    /// Writes tokens to `path` through a temporary file in the same folder, renamed into place, so
    /// readers never see half a file. A token outside 0..<65536 is refused, naming it.
    public static func write(_ tokens: UnsafeBufferPointer<Int32>, to path: String) throws {
        guard tokens.count <= Int(Int32.max) else {
            throw DatasetError("\(path): \(tokens.count) tokens do not fit the llm.c header's Int32 count")
        }
        var data = Data(count: headerBytes + 2 * tokens.count)
        try data.withUnsafeMutableBytes { raw in
            let header = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
            header[0] = magic.littleEndian
            header[1] = version.littleEndian
            header[2] = Int32(truncatingIfNeeded: tokens.count).littleEndian
            let body = (raw.baseAddress! + headerBytes).assumingMemoryBound(to: UInt16.self)
            for (i, token) in tokens.enumerated() {
                guard token >= 0 && token < 65536 else {
                    throw DatasetError("\(path): token \(token) at position \(i) does not fit the llm.c token file (UInt16, ids 0..<65536)")
                }
                body[i] = UInt16(token).littleEndian
            }
        }
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UUID().uuidString)")
        do {
            try data.write(to: temporary)
        } catch {
            throw DatasetError("cannot write token file \(path): \(error.localizedDescription)")
        }
        guard rename(temporary.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw DatasetError("cannot move the token file into place at \(path): \(reason)")
        }
    }

    public static func write(_ tokens: [Int32], to path: String) throws {
        try tokens.withUnsafeBufferPointer { try write($0, to: path) }
    }

    /// Reads a token file; a missing file, a short file, a wrong magic or version, or a length that
    /// disagrees with the header is an error naming the file and what is wrong.
    public static func read(_ path: String) throws -> [Int32] {
        let (data, count) = try checked(path)
        return data.withUnsafeBytes { raw -> [Int32] in
            [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in 0..<count {
                    buffer[i] = Int32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: headerBytes + 2 * i, as: UInt16.self)))
                }
                initialized = count
            }
        }
    }

    /// The tokens a token file holds, after the checks `read` makes, without decoding them (the
    /// file is mapped, so only its header is read): what a launcher checks before starting ranks.
    public static func validate(_ path: String) throws -> Int { try checked(path).count }

    /// The mapped file and its token count, once the header and the length agree.
    private static func checked(_ path: String) throws -> (data: Data, count: Int) {
        guard FileManager.default.fileExists(atPath: path) else { throw DatasetError("token file not found: \(path)") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw DatasetError("cannot read token file \(path): \(error.localizedDescription)")
        }
        guard data.count >= headerBytes else {
            throw DatasetError("\(path): \(data.count) bytes is shorter than the llm.c token file header (\(headerBytes) bytes)")
        }
        let count = try data.withUnsafeBytes { raw -> Int in
            func int32(_ i: Int) -> Int32 { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
            guard int32(0) == magic else {
                throw DatasetError("\(path): bad magic \(int32(0)) (an llm.c token file starts with \(magic))")
            }
            guard int32(1) == version else {
                throw DatasetError("\(path): unsupported version \(int32(1)) (expected \(version))")
            }
            return Int(int32(2))
        }
        let bodyBytes = data.count - headerBytes
        guard count >= 0, bodyBytes == 2 * count else {
            throw DatasetError("\(path): the header says \(count) tokens (\(2 * count) bytes) but the file holds \(bodyBytes) bytes of tokens")
        }
        return (data, count)
    }
}
