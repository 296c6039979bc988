/// The few messages of TensorBoard's `event.proto`, `summary.proto` and `tensor.proto` that a
/// scalar event needs, with their field numbers. Anything else in a file (graphs, images,
/// histograms, other fields) is read over, not kept.

/// `tensorboard.Event`: one record of an event file.
public struct Event: Equatable, Sendable {
    /// Unix seconds (field 1, double).
    public var wallTime: Double
    /// The global step (field 2, int64).
    public var step: Int64
    /// The first record of a file says "brain.Event:2" (field 3).
    public var fileVersion: String?
    /// Field 5.
    public var summary: Summary?
    /// `source_metadata.writer` (field 10): which program wrote the file.
    public var sourceWriter: String?

    public init(wallTime: Double, step: Int64 = 0, fileVersion: String? = nil, summary: Summary? = nil,
                sourceWriter: String? = nil) {
        self.wallTime = wallTime; self.step = step; self.fileVersion = fileVersion
        self.summary = summary; self.sourceWriter = sourceWriter
    }

    /// What TensorBoard's readers expect first in every file.
    public static let fileVersion2 = "brain.Event:2"
}

/// `tensorboard.Summary`: the values of one step (field 1, repeated).
public struct Summary: Equatable, Sendable {
    public var values: [SummaryValue]
    public init(values: [SummaryValue]) { self.values = values }
}

/// `tensorboard.Summary.Value`.
public struct SummaryValue: Equatable, Sendable {
    public enum Payload: Equatable, Sendable {
        /// `simple_value` (field 2, float): what torch.utils.tensorboard's `add_scalar` writes.
        case simple(Float)
        /// `tensor` (field 8): the form tf.summary and tensorboardX write scalars and text in.
        case tensor(TensorProto)
        /// An image, histogram, audio or nothing at all.
        case other
    }

    /// Field 1.
    public var tag: String
    public var payload: Payload
    /// Field 9; writers give it with a tag's first value only.
    public var metadata: SummaryMetadata?

    public init(tag: String, payload: Payload, metadata: SummaryMetadata? = nil) {
        self.tag = tag; self.payload = payload; self.metadata = metadata
    }
}

/// `tensorboard.SummaryMetadata`: which plugin a tag's values are for.
public struct SummaryMetadata: Equatable, Sendable {
    /// `plugin_data.plugin_name` (field 1.1): "scalars", "text", ...
    public var pluginName: String
    /// Field 4: 1 scalar, 2 tensor, 3 blob sequence; 0 unknown.
    public var dataClass: Int

    public init(pluginName: String, dataClass: Int = 0) {
        self.pluginName = pluginName; self.dataClass = dataClass
    }

    public static let scalarsPlugin = "scalars"
    public static let textPlugin = "text"
}

/// `tensorboard.TensorProto`, the parts a scalar or a string needs.
public struct TensorProto: Equatable, Sendable {
    public enum DataType: Int, Sendable { case float = 1, double = 2, string = 7 }

    /// Field 1 (`DataType`: 1 float, 2 double, 7 string, ...).
    public var dtype: Int
    /// `tensor_shape.dim[].size` (field 2); empty for a scalar.
    public var shape: [Int64]
    /// Field 4: the values as raw little-endian bytes (an alternative to the typed fields).
    public var content: [UInt8]
    /// Field 5 (packed or not).
    public var floatValues: [Float]
    /// Field 6.
    public var doubleValues: [Double]
    /// Field 8.
    public var stringValues: [[UInt8]]

    public init(dtype: Int, shape: [Int64] = [], content: [UInt8] = [], floatValues: [Float] = [],
                doubleValues: [Double] = [], stringValues: [[UInt8]] = []) {
        self.dtype = dtype; self.shape = shape; self.content = content; self.floatValues = floatValues
        self.doubleValues = doubleValues; self.stringValues = stringValues
    }

    /// The one number of a float or double tensor of one element, from whichever field holds it.
    public var scalar: Double? {
        guard shape.allSatisfy({ $0 == 1 }) else { return nil }
        switch DataType(rawValue: dtype) {
        case .float:
            if floatValues.count == 1 { return Double(floatValues[0]) }
            if floatValues.isEmpty, content.count == 4 {
                return Double(Float(bitPattern: Self.littleEndian(content, UInt32.self)))
            }
        case .double:
            if doubleValues.count == 1 { return doubleValues[0] }
            if doubleValues.isEmpty, content.count == 8 { return Double(bitPattern: Self.littleEndian(content, UInt64.self)) }
        default: break
        }
        return nil
    }

    /// The one string of a string tensor of one element.
    public var text: String? {
        guard DataType(rawValue: dtype) == .string, shape.allSatisfy({ $0 == 1 }), stringValues.count == 1 else { return nil }
        return String(decoding: stringValues[0], as: UTF8.self)
    }

    static func littleEndian<T: FixedWidthInteger>(_ bytes: [UInt8], _: T.Type) -> T {
        var value: T = 0
        for (k, byte) in bytes.prefix(MemoryLayout<T>.size).enumerated() { value |= T(byte) << (8 * k) }
        return value
    }
}
