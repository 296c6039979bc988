import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open safetensors file. Opening reads and validates only the header; tensor data is read
/// on request with positional reads (pread) straight into the caller's memory, a whole tensor or
/// any range of its flattened elements, so resharding reads only the slices it needs. Reads are
/// safe from several threads at once.
///
/// Checked at open, each failure a `SafeTensorsError` naming the file and the problem: the file
/// shorter than 8 bytes or than its tensors' data (`truncated`), a header length past the end,
/// bad JSON, a header of the wrong shape, an unknown dtype, data_offsets whose size is not
/// shape x dtype size, reversed or outside the data, overlapping, or leaving unused bytes.
public final class SafeTensorsFile {
    public let path: String
    /// The tensors in the order of their data in the file (ties, i.e. empty tensors, by name).
    public let tensors: [SafeTensorInfo]
    /// `__metadata__` (empty when absent).
    public let metadata: [String: String]
    /// The size of the file and where the data starts (8 + header length).
    public let fileSize: Int
    public let dataStart: Int

    private let fd: Int32
    private let index: [String: Int]

    /// Upper bound on the header, as the reference implementation (100 MB).
    public static let maxHeaderLength = 100_000_000

    public init(path: String) throws {
        self.path = path
        func fail(_ kind: SafeTensorsError.Kind, _ message: String) -> SafeTensorsError {
            SafeTensorsError(kind, path: path, message)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw fail(.io, "cannot open: \(String(cString: strerror(errno)))") }
        var ok = false
        defer { if !ok { close(fd) } }

        var st = stat()
        if fstat(fd, &st) != 0 { throw fail(.io, "cannot stat: \(String(cString: strerror(errno)))") }
        let size = Int(st.st_size)
        if size < 8 {
            throw fail(.truncated, "truncated: the file has \(size) bytes, fewer than the 8-byte header length")
        }
        var lengthBytes = [UInt8](repeating: 0, count: 8)
        try lengthBytes.withUnsafeMutableBytes { try Self.readFully(fd, $0, at: 0, path: path) }
        let length = lengthBytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        if length > UInt64(size - 8) {
            throw fail(.headerLengthPastEnd,
                       "header length \(length) runs past the end of the file (\(size) bytes, so at most \(size - 8) bytes of header): a truncated file, or not a safetensors file")
        }
        if length > UInt64(Self.maxHeaderLength) {
            throw fail(.badHeader, "header length \(length) exceeds the limit of \(Self.maxHeaderLength) bytes")
        }
        let headerLength = Int(length)
        var header = [UInt8](repeating: 0, count: headerLength)
        try header.withUnsafeMutableBytes { try Self.readFully(fd, $0, at: 8, path: path) }

        let json: JSONValue
        do {
            json = try JSONParser.parse(header)
        } catch let e as JSONParseError {
            throw fail(.badJSON, "bad JSON in the header at byte \(e.offset): \(e.message)")
        }
        guard case let .object(pairs) = json else {
            throw fail(.badHeader, "the header is \(json.kindName), not a JSON object")
        }

        var infos: [SafeTensorInfo] = []
        var metadata: [String: String] = [:]
        var seen: Set<String> = []
        for (name, value) in pairs {
            if !seen.insert(name).inserted { throw fail(.badHeader, "\"\(name)\" appears twice in the header") }
            if name == "__metadata__" {
                guard case let .object(kv) = value else {
                    throw fail(.badHeader, "__metadata__ is \(value.kindName), not an object of strings")
                }
                for (k, v) in kv {
                    guard case let .string(s) = v else {
                        throw fail(.badHeader, "__metadata__[\"\(k)\"] is \(v.kindName), not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            infos.append(try Self.tensorInfo(name, value, fail: fail))
        }

        // Each tensor's size, then the total against the data present, then the packing.
        let dataLength = size - 8 - headerLength
        var needed = 0
        for t in infos {
            guard let n = checkedElementCount(t.shape) else {
                throw fail(.badHeader, "\(t.name): invalid shape \(shapeText(t.shape))")
            }
            let (bytes, o) = n.multipliedReportingOverflow(by: t.dtype.byteSize)
            if o || t.byteCount != bytes {
                throw fail(.sizeMismatch,
                           "\(t.name): data_offsets [\(t.dataOffsets.lowerBound), \(t.dataOffsets.upperBound)] span \(t.byteCount) bytes, but \(t.dtype.rawValue) \(shapeText(t.shape)) needs \(o ? "more than Int.max" : String(bytes))")
            }
            needed += bytes
        }
        if needed > dataLength {
            throw fail(.truncated,
                       "truncated: the tensors need \(needed) bytes of data after the \(headerLength)-byte header, the file has \(dataLength) (\(size) bytes in all)")
        }
        for t in infos where t.dataOffsets.upperBound > dataLength {
            throw fail(.offsetsOutOfRange,
                       "\(t.name): data_offsets [\(t.dataOffsets.lowerBound), \(t.dataOffsets.upperBound)] run past the end of the data (\(dataLength) bytes)")
        }
        infos.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name) }
        var end = 0
        var previous: String?
        for t in infos {
            let begin = t.dataOffsets.lowerBound
            if begin < end {
                throw fail(.offsetsOverlap,
                           "\(t.name): data_offsets [\(begin), \(t.dataOffsets.upperBound)] overlap \(previous ?? "?") (which ends at \(end))")
            }
            if begin > end {
                throw fail(.offsetsGap,
                           "\(t.name): data_offsets start at \(begin), leaving bytes \(end)..<\(begin) unused\(previous.map { " after \($0)" } ?? "") (tensors must be packed)")
            }
            end = t.dataOffsets.upperBound
            previous = t.name
        }
        if end != dataLength {
            throw fail(.offsetsGap, "\(dataLength - end) bytes after the last tensor's data are unused (data ends at \(end), file data is \(dataLength) bytes)")
        }

        self.fd = fd
        self.tensors = infos
        self.metadata = metadata
        self.fileSize = size
        self.dataStart = 8 + headerLength
        var index: [String: Int] = [:]
        for (i, t) in infos.enumerated() { index[t.name] = i }
        self.index = index
        ok = true
    }

    deinit { close(fd) }

    private static func tensorInfo(_ name: String, _ value: JSONValue,
                                   fail: (SafeTensorsError.Kind, String) -> SafeTensorsError) throws -> SafeTensorInfo {
        guard case let .object(fields) = value else {
            throw fail(.badHeader, "\(name): the entry is \(value.kindName), not an object with dtype, shape and data_offsets")
        }
        func field(_ key: String) throws -> JSONValue {
            guard let v = fields.first(where: { $0.key == key })?.value else {
                throw fail(.badHeader, "\(name): no \"\(key)\" field")
            }
            return v
        }
        guard case let .string(dtypeName) = try field("dtype") else {
            throw fail(.badHeader, "\(name): dtype is not a string")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw fail(.unknownDtype, "\(name): unknown dtype \"\(dtypeName)\" (known: \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard case let .array(dims) = try field("shape") else {
            throw fail(.badHeader, "\(name): shape is not an array")
        }
        var shape: [Int] = []
        for d in dims {
            guard let n = d.nonNegativeInt else { throw fail(.badHeader, "\(name): shape has a dimension that is not a non-negative integer") }
            shape.append(n)
        }
        guard case let .array(offsets) = try field("data_offsets"), offsets.count == 2,
              let begin = offsets[0].nonNegativeInt, let end = offsets[1].nonNegativeInt else {
            throw fail(.badHeader, "\(name): data_offsets is not a pair of non-negative integers")
        }
        if begin > end {
            throw fail(.offsetsOutOfRange, "\(name): data_offsets [\(begin), \(end)] end before they begin")
        }
        return SafeTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String) throws {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SafeTensorsError(.io, path: path, "read of \(buffer.count) bytes at \(offset) failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                throw SafeTensorsError(.truncated, path: path, "truncated: the file ended at \(offset + done) while reading \(buffer.count) bytes at \(offset) (did it change after opening?)")
            }
            done += n
        }
    }

    // MARK: Looking up

    /// Tensor names in file order.
    public var names: [String] { tensors.map(\.name) }

    public subscript(name: String) -> SafeTensorInfo? { index[name].map { tensors[$0] } }

    /// The tensor called `name`, or a `noSuchTensor` error.
    public func info(_ name: String) throws -> SafeTensorInfo {
        guard let i = index[name] else {
            throw SafeTensorsError(.noSuchTensor, path: path, "no tensor named \"\(name)\" (the file has \(tensors.count))")
        }
        return tensors[i]
    }

    // MARK: Reading

    /// Reads elements `elements` (a range of the flattened, row-major tensor) into `buffer`,
    /// whose count must equal the range's. Only those bytes are read from the file.
    public func read<T: SafeTensorsElement>(_ name: String, elements: Range<Int>, into buffer: UnsafeMutableBufferPointer<T>) throws {
        let t = try info(name)
        guard t.dtype == T.safeTensorsDType else {
            throw SafeTensorsError(.dtypeMismatch, path: path, "\(name) is \(t.dtype.rawValue), cannot read it as \(T.safeTensorsDType.rawValue)")
        }
        let count = t.elementCount
        guard elements.lowerBound >= 0, elements.upperBound <= count else {
            throw SafeTensorsError(.badRequest, path: path, "\(name): elements \(elements.lowerBound)..<\(elements.upperBound) are outside its \(count) elements \(shapeText(t.shape))")
        }
        guard buffer.count == elements.count else {
            throw SafeTensorsError(.badRequest, path: path, "\(name): a buffer of \(buffer.count) elements for \(elements.count) elements")
        }
        guard !elements.isEmpty else { return }
        let size = t.dtype.byteSize
        try Self.readFully(fd, UnsafeMutableRawBufferPointer(buffer), at: dataStart + t.dataOffsets.lowerBound + elements.lowerBound * size, path: path)
    }

    /// Reads the whole tensor into `buffer`, whose count must equal the tensor's.
    public func read<T: SafeTensorsElement>(_ name: String, into buffer: UnsafeMutableBufferPointer<T>) throws {
        let t = try info(name)
        guard buffer.count == t.elementCount else {
            throw SafeTensorsError(.badRequest, path: path, "\(name): a buffer of \(buffer.count) elements for \(t.dtype.rawValue) \(shapeText(t.shape)) (\(t.elementCount) elements)")
        }
        try read(name, elements: 0..<t.elementCount, into: buffer)
    }

    /// The tensor's values (or a range of them) as a new array.
    public func read<T: SafeTensorsElement>(_ name: String, as type: T.Type = T.self, elements: Range<Int>? = nil) throws -> [T] {
        let range = try elements ?? 0..<info(name).elementCount
        return try [T](unsafeUninitializedCapacity: range.count) { buffer, initialized in
            try read(name, elements: range, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<range.count]))
            initialized = range.count
        }
    }

    /// A tensor's raw bytes, whatever its dtype.
    public func readBytes(_ name: String) throws -> [UInt8] {
        let t = try info(name)
        var bytes = [UInt8](repeating: 0, count: t.byteCount)
        try bytes.withUnsafeMutableBytes { try Self.readFully(fd, $0, at: dataStart + t.dataOffsets.lowerBound, path: path) }
        return bytes
    }
}

// Immutable after init (only `let`s); reads use pread on a descriptor that lives as long as the object.
extension SafeTensorsFile: Sendable {}

extension SafeTensorsFile {
    /// Reads elements `elements` of a floating-point tensor (F32, F64, F16 or BF16) into Float
    /// buffer `buffer`, converting as torch's `.float()` does (F64 rounds to nearest; F16 and
    /// BF16 widen exactly). For F32 this is `read(_:elements:into:)`.
    public func readConvertingToFloat(_ name: String, elements: Range<Int>, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        let t = try info(name)
        guard buffer.count == elements.count else {
            throw SafeTensorsError(.badRequest, path: path, "\(name): a buffer of \(buffer.count) elements for \(elements.count) elements")
        }
        switch t.dtype {
        case .f32:
            try read(name, elements: elements, into: buffer)
        case .f64:
            let wide = try read(name, as: Double.self, elements: elements)
            for i in wide.indices { buffer[i] = Float(wide[i]) }
        case .f16, .bf16:
            let bits = try read(name, as: UInt16.self, elements: elements, allowingDtype: t.dtype)
            if t.dtype == .bf16 {
                for i in bits.indices { buffer[i] = Float(bitPattern: UInt32(bits[i]) << 16) }
            } else {
                for i in bits.indices { buffer[i] = halfToFloat(bits[i]) }
            }
        default:
            throw SafeTensorsError(.dtypeMismatch, path: path, "\(name) is \(t.dtype.rawValue), not a floating-point tensor")
        }
    }

    /// The whole tensor converted to Float (see `readConvertingToFloat(_:elements:into:)`).
    public func readConvertingToFloat(_ name: String) throws -> [Float] {
        let n = try info(name).elementCount
        return try [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            try readConvertingToFloat(name, elements: 0..<n, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<n]))
            initialized = n
        }
    }

    /// 2-byte elements of a 2-byte dtype, read as their bit patterns.
    private func read(_ name: String, as: UInt16.Type, elements: Range<Int>, allowingDtype dtype: SafeTensorsDType) throws -> [UInt16] {
        let t = try info(name)
        precondition(t.dtype.byteSize == 2 && t.dtype == dtype)
        guard elements.lowerBound >= 0, elements.upperBound <= t.elementCount else {
            throw SafeTensorsError(.badRequest, path: path, "\(name): elements \(elements.lowerBound)..<\(elements.upperBound) are outside its \(t.elementCount) elements \(shapeText(t.shape))")
        }
        var out = [UInt16](repeating: 0, count: elements.count)
        if !elements.isEmpty {
            try out.withUnsafeMutableBytes {
                try Self.readFully(fd, $0, at: dataStart + t.dataOffsets.lowerBound + 2 * elements.lowerBound, path: path)
            }
        }
        return out
    }
}

/// IEEE binary16 to binary32, exact (subnormals, infinities and NaNs included).
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
    if exponent == 0 {
        // Zero or subnormal: mantissa * 2^-24, exact in Float.
        let magnitude = Float(mantissa) * Float(bitPattern: 0x3380_0000) // 2^-24
        return sign != 0 ? -magnitude : magnitude
    }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
}
