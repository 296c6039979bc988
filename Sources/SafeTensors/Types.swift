import Foundation

/// The element types of the safetensors format, spelled as in the header.
public enum SafeTensorsDType: String, Sendable, CaseIterable, Codable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8"
    case f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case f64 = "F64", i64 = "I64", u64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }
}

/// Swift types whose in-memory little-endian layout is a safetensors element.
public protocol SafeTensorsElement {
    static var safeTensorsDType: SafeTensorsDType { get }
}
extension Float: SafeTensorsElement { public static var safeTensorsDType: SafeTensorsDType { .f32 } }
extension Double: SafeTensorsElement { public static var safeTensorsDType: SafeTensorsDType { .f64 } }
extension Int8: SafeTensorsElement { public static var safeTensorsDType: SafeTensorsDType { .i8 } }
extension Int16: SafeTensorsElement { public static var safeTensorsDType: SafeTensorsDType { .i16 } }
extension Int32: SafeTensorsElement { public static var safeTensorsDType: SafeTensorsDType { .i32 } }
extension Int64: SafeTensorsElement { public static var safeTensorsDType: SafeTensorsDType { .i64 } }
extension UInt8: SafeTensorsElement { public static var safeTensorsDType: SafeTensorsDType { .u8 } }
extension UInt16: SafeTensorsElement { public static var safeTensorsDType: SafeTensorsDType { .u16 } }
extension UInt32: SafeTensorsElement { public static var safeTensorsDType: SafeTensorsDType { .u32 } }
extension UInt64: SafeTensorsElement { public static var safeTensorsDType: SafeTensorsDType { .u64 } }

/// One tensor of a file, as its header describes it.
public struct SafeTensorInfo: Equatable, Sendable {
    public let name: String
    public let dtype: SafeTensorsDType
    public let shape: [Int]
    /// Byte range relative to the start of the data (the end of the header).
    public let dataOffsets: Range<Int>
    public var elementCount: Int { shape.reduce(1, *) }
    public var byteCount: Int { dataOffsets.count }
}

/// What went wrong, with the file it concerns. `description` reads "<path>: <message>".
public struct SafeTensorsError: Error, CustomStringConvertible, LocalizedError, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// open/read/write/rename failed.
        case io
        /// Shorter than the 8-byte header length, or shorter than its tensors' data.
        case truncated
        /// The 8-byte header length points past the end of the file.
        case headerLengthPastEnd
        /// The header is not valid JSON.
        case badJSON
        /// Valid JSON, but not a safetensors header (wrong types, missing fields, duplicates).
        case badHeader
        case unknownDtype
        /// data_offsets span a byte count other than shape x dtype size.
        case sizeMismatch
        /// data_offsets reversed or outside the data.
        case offsetsOutOfRange
        /// Two tensors' data overlap.
        case offsetsOverlap
        /// Unused bytes between tensors or after the last one (the format packs them).
        case offsetsGap
        case noSuchTensor
        /// Reading a tensor as another element type than it holds.
        case dtypeMismatch
        /// A caller's buffer or slice does not fit the tensor.
        case badRequest
        /// Writing: a name, shape or value count that cannot be written.
        case invalidTensor
        /// A state dict has missing, extra or misshaped tensors.
        case stateDictMismatch
    }

    public let kind: Kind
    public let path: String
    public let message: String

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
    public var errorDescription: String? { description }
}

/// "[256, 128]", as Python prints a shape list.
func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

/// The product of `shape`, or nil on a negative dimension or overflow.
func checkedElementCount(_ shape: [Int]) -> Int? {
    var n = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (r, o) = n.multipliedReportingOverflow(by: d)
        if o { return nil }
        n = r
    }
    return n
}
