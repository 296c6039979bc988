/// The records of a TFRecord stream, checked: every good record, and each damaged one said at
/// its byte offset. What can be trusted after damage decides where reading goes on:
/// - a bad data CRC: the length was good, so the next record starts right after this one;
/// - a bad length CRC: the length itself is unknown, nothing after it can be framed: stop;
/// - a tail shorter than its frame (a record being written, or a file cut off): stop there.
/// Never a trap, whatever the bytes.
public enum TFRecordScanner {
    public enum Damage: Equatable, Sendable {
        case badLengthCRC
        case badDataCRC(length: Int)
        /// Fewer bytes than a frame's header, or than the length the header gives.
        case truncated(needed: UInt64, available: Int)

        /// One line (the file and the offset are the caller's to add).
        public var text: String {
            switch self {
            case .badLengthCRC:
                return "the record's length fails its CRC: nothing after it can be trusted; the rest of the file is not read"
            case .badDataCRC(let length): return "the record's \(length) bytes of data fail their CRC: record skipped"
            case .truncated(let needed, let available):
                return "a truncated record: \(available) byte(s) left where its frame needs \(needed)"
            }
        }

        /// Whether reading stops at this damage.
        public var endsTheFile: Bool { if case .badDataCRC = self { return false } else { return true } }
    }

    public enum Item: Equatable, Sendable {
        /// A record's data and the offset of its frame.
        case record(offset: Int, data: ArraySlice<UInt8>)
        case damaged(offset: Int, Damage)
    }

    /// Every record of `bytes` from `start`, and the offset reading stopped at (the end, or the
    /// frame it could not read: a follower of a growing file reads again from there).
    public static func scan(_ bytes: ArraySlice<UInt8>, from start: Int = 0) -> (items: [Item], stoppedAt: Int) {
        var items: [Item] = []
        var offset = max(0, start)
        let count = bytes.count
        while offset < count {
            let left = count - offset
            let frame = TFRecord.headerSize + TFRecord.footerSize
            guard left >= TFRecord.headerSize else {
                items.append(.damaged(offset: offset, .truncated(needed: UInt64(frame), available: left)))
                return (items, offset)
            }
            let base = bytes.startIndex + offset
            let length = TFRecord.readLittleEndian(bytes, at: offset, UInt64.self)
            let lengthCRC = TFRecord.readLittleEndian(bytes, at: offset + 8, UInt32.self)
            guard CRC32C.masked(bytes[base..<base + 8]) == lengthCRC else {
                items.append(.damaged(offset: offset, .badLengthCRC))
                return (items, offset)
            }
            guard left >= frame, length <= UInt64(left - frame) else {
                let needed = length > UInt64.max - UInt64(frame) ? UInt64.max : length + UInt64(frame)
                items.append(.damaged(offset: offset, .truncated(needed: needed, available: left)))
                return (items, offset)
            }
            let n = Int(length)
            let data = bytes[(base + TFRecord.headerSize)..<(base + TFRecord.headerSize + n)]
            let dataCRC = TFRecord.readLittleEndian(bytes, at: offset + TFRecord.headerSize + n, UInt32.self)
            items.append(CRC32C.masked(data) == dataCRC ? .record(offset: offset, data: data)
                                                         : .damaged(offset: offset, .badDataCRC(length: n)))
            offset += TFRecord.headerSize + n + TFRecord.footerSize
        }
        return (items, offset)
    }
}
