/// The event messages read from protobuf's wire format. A field of a known number but another
/// wire type than the message declares is treated as unknown (skipped), as protobuf does.
extension Event {
    public init(decoding bytes: ArraySlice<UInt8>) throws {
        self.init(wallTime: 0)
        var r = ProtoReader(bytes)
        while let field = try r.next() {
            switch (field.number, field.value) {
            case (1, .fixed64(let bits)): wallTime = Double(bitPattern: bits)
            case (2, .varint(let v)): step = Int64(bitPattern: v)
            case (3, .bytes(let b)): fileVersion = String(decoding: b, as: UTF8.self)
            case (5, .bytes(let b)): summary = try Summary(decoding: b)
            case (10, .bytes(let b)):
                var inner = ProtoReader(b)
                while let f = try inner.next() {
                    if f.number == 1, case .bytes(let s) = f.value { sourceWriter = String(decoding: s, as: UTF8.self) }
                }
            default: break
            }
        }
    }

    public init(decoding bytes: [UInt8]) throws { try self.init(decoding: bytes[...]) }
}

extension Summary {
    init(decoding bytes: ArraySlice<UInt8>) throws {
        self.init(values: [])
        var r = ProtoReader(bytes)
        while let field = try r.next() {
            if field.number == 1, case .bytes(let b) = field.value { values.append(try SummaryValue(decoding: b)) }
        }
    }
}

extension SummaryValue {
    init(decoding bytes: ArraySlice<UInt8>) throws {
        self.init(tag: "", payload: .other)
        var r = ProtoReader(bytes)
        while let field = try r.next() {
            switch (field.number, field.value) {
            case (1, .bytes(let b)): tag = String(decoding: b, as: UTF8.self)
            case (2, .fixed32(let bits)): payload = .simple(Float(bitPattern: bits))
            case (8, .bytes(let b)): payload = .tensor(try TensorProto(decoding: b))
            case (9, .bytes(let b)): metadata = try SummaryMetadata(decoding: b)
            case (3, _), (4, _), (5, _), (6, _): payload = .other  // histogram, image, audio: a oneof's last member wins
            default: break
            }
        }
    }
}

extension SummaryMetadata {
    init(decoding bytes: ArraySlice<UInt8>) throws {
        self.init(pluginName: "")
        var r = ProtoReader(bytes)
        while let field = try r.next() {
            switch (field.number, field.value) {
            case (1, .bytes(let b)):
                var inner = ProtoReader(b)
                while let f = try inner.next() {
                    if f.number == 1, case .bytes(let s) = f.value { pluginName = String(decoding: s, as: UTF8.self) }
                }
            case (4, .varint(let v)): dataClass = Int(truncatingIfNeeded: v)
            default: break
            }
        }
    }
}

extension TensorProto {
    init(decoding bytes: ArraySlice<UInt8>) throws {
        self.init(dtype: 0)
        var r = ProtoReader(bytes)
        while let field = try r.next() {
            switch (field.number, field.value) {
            case (1, .varint(let v)): dtype = Int(truncatingIfNeeded: v)
            case (2, .bytes(let b)): shape = try Self.dimensions(b)
            case (4, .bytes(let b)): content = Array(b)
            case (5, .fixed32(let bits)): floatValues.append(Float(bitPattern: bits))
            case (5, .bytes(let b)): floatValues += try Self.packed(b, UInt32.self).map(Float.init(bitPattern:))
            case (6, .fixed64(let bits)): doubleValues.append(Double(bitPattern: bits))
            case (6, .bytes(let b)): doubleValues += try Self.packed(b, UInt64.self).map(Double.init(bitPattern:))
            case (8, .bytes(let b)): stringValues.append(Array(b))
            default: break
            }
        }
    }

    /// `TensorShapeProto.dim[].size`.
    private static func dimensions(_ bytes: ArraySlice<UInt8>) throws -> [Int64] {
        var sizes: [Int64] = []
        var r = ProtoReader(bytes)
        while let field = try r.next() {
            guard field.number == 2, case .bytes(let dim) = field.value else { continue }
            var size: Int64 = 0
            var inner = ProtoReader(dim)
            while let f = try inner.next() { if f.number == 1, case .varint(let v) = f.value { size = Int64(bitPattern: v) } }
            sizes.append(size)
        }
        return sizes
    }

    private static func packed<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, _: T.Type) throws -> [T] {
        let size = MemoryLayout<T>.size
        guard bytes.count % size == 0 else { throw ProtoError("a packed field of \(bytes.count) bytes, not a multiple of \(size)") }
        return stride(from: bytes.startIndex, to: bytes.endIndex, by: size).map { start in
            var value: T = 0
            for k in 0..<size { value |= T(bytes[start + k]) << (8 * k) }
            return value
        }
    }
}
