#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        // Generic code is not specialised across modules: work on contiguous memory.
        if let pieces = bytes.withContiguousStorageIfAvailable({ append(raw: UnsafeRawBufferPointer($0)) }) {
            return pieces
        }
        return Array(bytes).withUnsafeBytes { append(raw: $0) }
    }

    public mutating func append(raw bytes: UnsafeRawBufferPointer) -> [Piece] {
        var pieces: [Piece] = []
        guard var start = bytes.baseAddress, !bytes.isEmpty else { return pieces }
        let end = start + bytes.count
        while start < end {
            let newline = memchr(start, 0x0A, end - start).map { UnsafeRawPointer($0) }
            let chunk = UnsafeRawBufferPointer(start: start, count: (newline ?? end) - start)
            if let discarded = discarding {
                discarding = discarded + chunk.count
            } else if buffer.count + chunk.count > maxLength {
                discarding = buffer.count + chunk.count
                buffer = []
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
            start = newline + 1
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
