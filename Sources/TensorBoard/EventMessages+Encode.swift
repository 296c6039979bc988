/// The event messages on protobuf's wire format, as protobuf's own encoder writes them (fields
/// in number order, proto3 defaults left out), so TensorBoard's readers and ours read them alike.
extension Event {
    public func encoded() -> [UInt8] {
        var w = ProtoWriter()
        w.double(1, wallTime)
        w.int64(2, step)
        if let fileVersion { w.bytes(3, Array(fileVersion.utf8), always: true) }
        if let summary { w.message(5) { summary.encode(into: &$0) } }
        if let sourceWriter { w.message(10) { $0.string(1, sourceWriter) } }
        return w.bytes
    }
}

extension Summary {
    func encode(into w: inout ProtoWriter) {
        for value in values { w.message(1) { value.encode(into: &$0) } }
    }
}

extension SummaryValue {
    func encode(into w: inout ProtoWriter) {
        w.string(1, tag)
        switch payload {
        case .simple(let number): w.float(2, number, always: true)  // a oneof member: written even when 0
        case .tensor(let tensor): w.message(8) { tensor.encode(into: &$0) }
        case .other: break
        }
        if let metadata { w.message(9) { metadata.encode(into: &$0) } }
    }
}

extension SummaryMetadata {
    func encode(into w: inout ProtoWriter) {
        w.message(1) { $0.string(1, pluginName) }
        w.int64(4, Int64(dataClass))
    }
}

extension TensorProto {
    func encode(into w: inout ProtoWriter) {
        w.int64(1, Int64(dtype))
        w.message(2) { shapeWriter in
            for size in shape { shapeWriter.message(2) { $0.int64(1, size) } }
        }
        w.bytes(4, content)
        w.packed(5, floatValues.map(\.bitPattern))
        w.packed(6, doubleValues.map(\.bitPattern))
        for string in stringValues { w.bytes(8, string, always: true) }
    }
}
