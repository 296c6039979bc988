import Foundation

/// The events of one event file, read whole: every record that frames, checks and decodes, and
/// one line per damaged record naming the file and the byte offset of its frame.
public struct EventFileContents: Sendable {
    public struct Entry: Equatable, Sendable {
        /// Where the record's frame starts in the file.
        public var offset: Int
        public var event: Event
    }

    public var path: String
    public var entries: [Entry]
    /// `"<path>: byte <offset>: <what>"`, in file order.
    public var damage: [String]

    public var events: [Event] { entries.map(\.event) }
}

public enum EventFileReader {
    /// The file at `path`; only a file that cannot be read at all throws.
    public static func read(path: String) throws -> EventFileContents {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return read(bytes: [UInt8](data), path: path)
    }

    /// `bytes` as the file `path` (named in the damage lines).
    public static func read(bytes: [UInt8], path: String) -> EventFileContents {
        var contents = EventFileContents(path: path, entries: [], damage: [])
        for item in TFRecordScanner.scan(bytes[...]).items {
            switch item {
            case .record(let offset, let data):
                do {
                    contents.entries.append(.init(offset: offset, event: try Event(decoding: data)))
                } catch {
                    contents.damage.append("\(path): byte \(offset): the record is not an event (\(error)): skipped")
                }
            case .damaged(let offset, let damage):
                contents.damage.append("\(path): byte \(offset): \(damage.text)")
            }
        }
        return contents
    }
}
