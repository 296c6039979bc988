import Foundation

/// Appends one JSON object per line, flushed as written, so a reader can follow the file live.
final class JSONLinesWriter {
    private let handle: FileHandle
    private let encoder = JSONEncoder()

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        encoder.outputFormatting = [.sortedKeys]
    }

    /// Writes `value` (an object) with `event` as its first field. Numbers keep JSONEncoder's
    /// shortest round-tripping form, so a reader gets the exact doubles back.
    func write<T: Encodable>(event: String, _ value: T) throws {
        let body = try encoder.encode(value)
        var line = try encoder.encode(["event": event])
        line.removeLast()  // "}"
        if body.count > 2 { line.append(UInt8(ascii: ",")); line.append(body.dropFirst()) } else { line.append(UInt8(ascii: "}")) }
        line.append(0x0A)
        try handle.write(contentsOf: line)
    }

    deinit { try? handle.close() }
}
