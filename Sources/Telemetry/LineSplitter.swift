/// Cuts a byte stream into newline-terminated lines, holding at most `maxLength` bytes of an
/// unfinished line: a line that grows past it is discarded as it arrives (its bytes are counted,
/// never kept) and reported once, when its newline comes or the stream ends.
public struct LineSplitter {
    public enum Piece: Equatable, Sendable {
        /// A complete line, without its newline.
        case line([UInt8])
        /// A line longer than the maximum, of this many bytes, discarded.
        case overlong(bytes: Int)
    }

    public let maxLength: Int
    private var buffer: [UInt8] = []
    /// Bytes of the current line discarded so far; nil while the line is within the limit.
    private var discarding: Int?

    public init(maxLength: Int = TelemetrySchema.maxLineLength) {
        precondition(maxLength > 0)
        self.maxLength = maxLength
    }

    /// Bytes of an unfinished line held now (never more than `maxLength`).
    public var bufferedBytes: Int { buffer.count }

    /// Feeds bytes; returns the pieces they complete, in order.
    public mutating func append<Bytes: Collection>(_ bytes: Bytes) -> [Piece] where Bytes.Element == UInt8 {
        var pieces: [Piece] = []
        var rest = bytes[...]
        while !rest.isEmpty {
            let newline = rest.firstIndex(of: 0x0A)
            let chunk = rest[..<(newline ?? rest.endIndex)]
            if let discarded = discarding {
                discarding = discarded + chunk.count
            } else if buffer.count + chunk.count > maxLength {
                discarding = buffer.count + chunk.count
                buffer.removeAll(keepingCapacity: false)
            } else {
                buffer.append(contentsOf: chunk)
            }
            guard let newline else { break }
            if let discarded = discarding {
                pieces.append(.overlong(bytes: discarded))
                discarding = nil
            } else {
                pieces.append(.line(buffer))
                buffer.removeAll(keepingCapacity: true)
                if buffer.capacity > 64 << 10 { buffer = [] }
            }
            rest = rest[rest.index(after: newline)...]
        }
        return pieces
    }

    /// The end of the stream: an unfinished last line (no newline) is returned as a line,
    /// or as overlong; then the splitter is empty.
    public mutating func finish() -> [Piece] {
        defer { buffer = []; discarding = nil }
        if let discarded = discarding { return [.overlong(bytes: discarded)] }
        return buffer.isEmpty ? [] : [.line(buffer)]
    }
}
