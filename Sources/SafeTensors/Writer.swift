import Foundation
import RunSpec
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Collects named tensors and string metadata, then writes one safetensors file atomically:
/// a temporary file in the destination's folder, fsync, rename over the destination, fsync the
/// folder. Tensors are laid out, and listed in the header, in the order they were added;
/// `__metadata__` comes first. The header is padded with spaces to a multiple of 8 bytes, as the
/// Python library does. Values are written in the machine's byte order, which must be little
/// endian (x86-64, arm64).
///
///     var w = SafeTensorsWriter()
///     try w.add("tok_embeddings.weight", shape: [2000, 256], values: embedding)   // [Float]
///     try w.add("step", shape: [], values: [Int64(12)])
///     w.setMetadata("format", "pt")
///     try w.write(to: "/path/checkpoint.safetensors")
public struct SafeTensorsWriter {
    struct Entry {
        let name: String
        let dtype: SafeTensorsDType
        let shape: [Int]
        let byteCount: Int
        /// Hands the tensor's bytes to a writer; captures an array (copy-on-write, no copy) or a
        /// borrowed pointer.
        let withBytes: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    }

    private(set) var entries: [Entry] = []
    private var names: Set<String> = []
    /// Metadata in insertion order.
    public private(set) var metadata: [(key: String, value: String)] = []

    public init() {}

    /// Names of the tensors added so far, in order.
    public var tensorNames: [String] { entries.map(\.name) }

    /// Sets (or replaces, keeping its place) a metadata entry.
    public mutating func setMetadata(_ key: String, _ value: String) {
        if let i = metadata.firstIndex(where: { $0.key == key }) {
            metadata[i].value = value
        } else {
            metadata.append((key, value))
        }
    }

    private func validate(_ name: String, _ shape: [Int], count: Int) throws -> Int {
        func fail(_ message: String) -> SafeTensorsError { SafeTensorsError(.invalidTensor, path: "(writer)", message) }
        if name.isEmpty { throw fail("a tensor needs a non-empty name") }
        if name == "__metadata__" { throw fail("'__metadata__' is reserved for the metadata") }
        if names.contains(name) { throw fail("\(name): added twice") }
        guard let n = checkedElementCount(shape) else { throw fail("\(name): invalid shape \(shapeText(shape))") }
        if n != count { throw fail("\(name): shape \(shapeText(shape)) has \(n) elements, \(count) values given") }
        return n
    }

    private mutating func append(_ entry: Entry) {
        entries.append(entry)
        names.insert(entry.name)
    }

    /// Adds a tensor from an array (not copied: arrays are copy-on-write).
    public mutating func add<T: SafeTensorsElement>(_ name: String, shape: [Int], values: [T]) throws {
        let n = try validate(name, shape, count: values.count)
        append(Entry(name: name, dtype: T.safeTensorsDType, shape: shape, byteCount: n * MemoryLayout<T>.stride,
                     withBytes: { body in try values.withUnsafeBytes(body) }))
    }

    /// Adds a tensor by copying `values` now.
    public mutating func add<T: SafeTensorsElement>(_ name: String, shape: [Int], copying values: UnsafeBufferPointer<T>) throws {
        try add(name, shape: shape, values: Array(values))
    }

    /// Adds a tensor without copying: `values` must stay valid and unchanged until `write(to:)`
    /// returns. For large buffers such as parameters and optimizer moments.
    public mutating func add<T: SafeTensorsElement>(_ name: String, shape: [Int], borrowing values: UnsafeBufferPointer<T>) throws {
        let n = try validate(name, shape, count: values.count)
        let raw = UnsafeRawBufferPointer(values)
        append(Entry(name: name, dtype: T.safeTensorsDType, shape: shape, byteCount: n * MemoryLayout<T>.stride,
                     withBytes: { body in try body(raw) }))
    }

    /// Adds a tensor of any dtype from its raw little-endian bytes.
    public mutating func addRaw(_ name: String, dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) throws {
        guard let n = checkedElementCount(shape) else {
            throw SafeTensorsError(.invalidTensor, path: "(writer)", "\(name): invalid shape \(shapeText(shape))")
        }
        guard bytes.count == n * dtype.byteSize else {
            throw SafeTensorsError(.invalidTensor, path: "(writer)",
                                   "\(name): \(dtype.rawValue) \(shapeText(shape)) needs \(n * dtype.byteSize) bytes, \(bytes.count) given")
        }
        _ = try validate(name, shape, count: n)
        append(Entry(name: name, dtype: dtype, shape: shape, byteCount: bytes.count,
                     withBytes: { body in try bytes.withUnsafeBytes(body) }))
    }

    /// The header JSON, padded with spaces to a multiple of 8 bytes.
    public func header() -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let kv = metadata.map { JSONWriter.quote($0.key) + ":" + JSONWriter.quote($0.value) }
            parts.append("\"__metadata__\":{" + kv.joined(separator: ",") + "}")
        }
        var offset = 0
        for e in entries {
            let shape = "[" + e.shape.map(String.init).joined(separator: ",") + "]"
            parts.append(JSONWriter.quote(e.name) + ":{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(offset + e.byteCount)]}")
            offset += e.byteCount
        }
        var bytes = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        let padding = (8 - bytes.count % 8) % 8
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        return bytes
    }

    /// Writes the file atomically; on failure the destination is untouched and the temporary
    /// file removed. `observe` sees every byte of the file, in order, as it is written (a
    /// checksum then needs no second read of the file).
    public func write(to path: String, observe: ((UnsafeRawBufferPointer) -> Void)? = nil) throws {
        precondition(UInt32(1).littleEndian == 1, "safetensors writing assumes a little-endian machine")
        func ioError(_ what: String, _ code: Int32 = errno) -> SafeTensorsError {
            SafeTensorsError(.io, path: path, "\(what): \(String(cString: strerror(code)))")
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var template = Array((folder + "/." + url.lastPathComponent + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 { throw ioError("cannot create a temporary file in \(folder)") }
        let tempPath = string(fromCBuffer: template)
        var done = false
        defer {
            if !done {
                close(fd)
                unlink(tempPath)
            }
        }
        _ = fchmod(fd, 0o644)

        var out = BufferedOutput(fd: fd, path: tempPath)
        func emit(_ bytes: UnsafeRawBufferPointer) throws {
            observe?(bytes)
            try out.write(bytes)
        }
        let header = header()
        var length = UInt64(header.count).littleEndian
        try withUnsafeBytes(of: &length) { try emit($0) }
        try header.withUnsafeBytes { try emit($0) }
        for e in entries {
            try e.withBytes { bytes in
                precondition(bytes.count == e.byteCount, "\(e.name): buffer changed size")
                try emit(bytes)
            }
        }
        try out.flush()
        if fsync(fd) != 0 { throw ioError("fsync of \(tempPath) failed") }
        if close(fd) != 0 { done = true; unlink(tempPath); throw ioError("close of \(tempPath) failed") }
        done = true
        if rename(tempPath, path) != 0 {
            let code = errno
            unlink(tempPath)
            throw ioError("cannot rename \(tempPath) to \(path)", code)
        }
        // Make the rename itself durable.
        let dirfd = open(folder, O_RDONLY)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
    }
}

/// Gathers small writes into 1 MiB; large ones go straight to the file.
private struct BufferedOutput {
    let fd: Int32
    let path: String
    var buffer: [UInt8] = []
    static let capacity = 1 << 20
    /// One write() of 12 MB took 46-100 ms here where twelve of 1 MiB took 5: large writes
    /// into the page cache are throttled (measured on this VM's ext4).
    static let largestWrite = 1 << 20

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(Self.capacity)
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count <= Self.capacity {
            buffer.append(contentsOf: bytes)
            return
        }
        try flush()
        if bytes.count <= Self.capacity / 2 {
            buffer.append(contentsOf: bytes)
        } else {
            try writeAll(bytes)
        }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, Self.largestWrite)
            let n = systemWrite(fd, bytes.baseAddress! + offset, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw SafeTensorsError(.io, path: path, "write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
