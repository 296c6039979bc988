import Foundation

/// Writes the stream's events to a JSONL file, in the wire's format (the hello without its
/// token), one flushed line per event so a reader can follow the file live
/// (`meshtop-rank --metrics-file`).
public final class TelemetryFileWriter {
    public let path: String
    private let handle: FileHandle
    private let encoder = LineCoding.makeEncoder()

    /// Creates (or truncates) the file.
    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        self.path = path
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    public func write(_ record: TelemetryRecord) throws {
        try handle.write(contentsOf: LineCoding.encode(record, token: nil, with: encoder))
    }

    public func write(_ event: Event, time: Double = Date().timeIntervalSince1970) throws {
        try write(TelemetryRecord(time: time, event: event))
    }

    public func close() throws { try handle.close() }
}

/// Reads a JSONL file of events (`meshtop replay FILE`) with the receiver's splitter and parser:
/// malformed lines are counted, never fatal. `readAvailable` can be called again as the file
/// grows, to follow a live run.
public final class TelemetryFileReader {
    public let path: String
    private let handle: FileHandle
    private var splitter: LineSplitter
    private var parser: EventParser

    public init(path: String, maxLineLength: Int = TelemetrySchema.maxLineLength) throws {
        self.path = path
        handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        splitter = LineSplitter(maxLength: maxLineLength)
        parser = EventParser(maxLength: maxLineLength)
    }

    deinit { try? handle.close() }

    /// Lines accepted and rejected so far.
    public var counts: LineCounts { parser.counts }

    /// The events of the complete lines written since the last call.
    public func readAvailable() throws -> [TelemetryRecord] {
        var records: [TelemetryRecord] = []
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            for piece in splitter.append(chunk) { records += take(piece) }
        }
        return records
    }

    /// The end of the file: an unterminated last line is parsed too.
    public func finish() throws -> [TelemetryRecord] {
        var records = try readAvailable()
        for piece in splitter.finish() { records += take(piece) }
        return records
    }

    /// Every event of a finished file, and the counts.
    public static func readAll(path: String, maxLineLength: Int = TelemetrySchema.maxLineLength) throws
        -> (records: [TelemetryRecord], counts: LineCounts) {
        let reader = try TelemetryFileReader(path: path, maxLineLength: maxLineLength)
        let records = try reader.finish()
        return (records, reader.counts)
    }

    private func take(_ piece: LineSplitter.Piece) -> [TelemetryRecord] {
        switch piece {
        case .overlong(let bytes):
            parser.rejectOverlong(bytes: bytes)
            return []
        case .line(let line):
            if case .success(let parsed) = parser.parse(line) { return [parsed.record] }
            return []
        }
    }
}
