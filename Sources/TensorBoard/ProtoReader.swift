/// Protocol buffers' wire format, the reading half: one field at a time, whatever its number.
/// A field a message does not know is passed over by its wire type; only bytes that are no
/// protobuf at all (a varint past ten bytes, a length past the end, wire type 6 or 7, field 0,
/// an unclosed group) are an error.
struct ProtoReader {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes(ArraySlice<UInt8>)
        /// A group (wire types 3 and 4, deprecated): skipped whole.
        case group
    }

    struct Field {
        var number: Int
        var value: Value
    }

    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    /// The next field, nil at the end.
    mutating func next() throws -> Field? {
        guard index < bytes.endIndex else { return nil }
        let (number, wire) = try key()
        if wire == 4 { throw ProtoError("an end-group with no group open at byte \(offset)") }
        return Field(number: number, value: try value(wire: wire, number: number, depth: 0))
    }

    private var offset: Int { index - bytes.startIndex }

    private mutating func key() throws -> (Int, UInt8) {
        let key = try varint()
        let number = key >> 3
        guard number >= 1, number <= 0x1FFF_FFFF else { throw ProtoError("field number \(number) at byte \(offset)") }
        return (Int(number), UInt8(key & 7))
    }

    private mutating func value(wire: UInt8, number: Int, depth: Int) throws -> Value {
        switch wire {
        case 0: return .varint(try varint())
        case 1: return .fixed64(try littleEndian(UInt64.self))
        case 5: return .fixed32(try littleEndian(UInt32.self))
        case 2:
            let length = try varint()
            guard length <= UInt64(bytes.endIndex - index) else {
                throw ProtoError("field \(number)'s length \(length) runs past the end at byte \(offset)")
            }
            let start = index
            index += Int(length)
            return .bytes(bytes[start..<index])
        case 3:
            guard depth < 32 else { throw ProtoError("groups nested deeper than 32 at byte \(offset)") }
            while true {
                guard index < bytes.endIndex else { throw ProtoError("group \(number) is not closed") }
                let (inner, innerWire) = try key()
                if innerWire == 4 {
                    guard inner == number else { throw ProtoError("group \(number) closed as \(inner) at byte \(offset)") }
                    return .group
                }
                _ = try value(wire: innerWire, number: inner, depth: depth + 1)
            }
        default:
            throw ProtoError("wire type \(wire) (field \(number)) at byte \(offset)")
        }
    }

    private mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard index < bytes.endIndex else { throw ProtoError("a varint runs past the end") }
            let byte = bytes[index]
            index += 1
            result |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte < 0x80 { return result }
        }
        throw ProtoError("a varint longer than ten bytes at byte \(offset)")
    }

    private mutating func littleEndian<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard bytes.endIndex - index >= size else { throw ProtoError("a \(size)-byte field runs past the end") }
        var value: T = 0
        for k in 0..<size { value |= T(bytes[index + k]) << (8 * k) }
        index += size
        return value
    }
}

/// Bytes that do not decode as the message expected, saying where.
public struct ProtoError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}
