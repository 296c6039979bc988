/// Protocol buffers' wire format, the writing half: what the few event messages need. Fields
/// are written in field-number order, and proto3's defaults (0, "") are left out except where
/// the field sits in a oneof (`Summary.Value.simple_value`), as protobuf's own encoder does.
struct ProtoWriter {
    enum WireType: UInt8 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wire: WireType) { varint(UInt64(field) << 3 | UInt64(wire.rawValue)) }

    /// int64 and enums: two's complement, so a negative value takes ten bytes.
    mutating func int64(_ field: Int, _ value: Int64, always: Bool = false) {
        guard value != 0 || always else { return }
        key(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func double(_ field: Int, _ value: Double, always: Bool = false) {
        guard value.bitPattern != 0 || always else { return }
        key(field, .fixed64)
        littleEndian(value.bitPattern)
    }

    mutating func float(_ field: Int, _ value: Float, always: Bool = false) {
        guard value.bitPattern != 0 || always else { return }
        key(field, .fixed32)
        littleEndian(value.bitPattern)
    }

    mutating func bytes(_ field: Int, _ value: [UInt8], always: Bool = false) {
        guard !value.isEmpty || always else { return }
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    /// An embedded message, written even when empty (its presence can matter: a scalar's empty
    /// `tensor_shape`).
    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        bytes(field, inner.bytes, always: true)
    }

    /// A repeated scalar field, packed (proto3's default encoding of repeated numbers).
    mutating func packed<T: FixedWidthInteger>(_ field: Int, _ values: [T]) {
        guard !values.isEmpty else { return }
        var inner = ProtoWriter()
        for v in values { inner.littleEndian(v) }
        bytes(field, inner.bytes)
    }

    mutating func littleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}
