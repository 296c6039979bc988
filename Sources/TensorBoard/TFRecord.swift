/// TFRecord framing (`tensorflow/core/lib/io/record_writer.cc`), the container of event files:
///
///     uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes | data | uint32 masked CRC-32C of data
public enum TFRecord {
    /// The length and its CRC.
    public static let headerSize = 12
    /// The data's CRC.
    public static let footerSize = 4

    /// `data` framed as one record.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + data.count + footerSize)
        let length = littleEndian(UInt64(data.count))
        out += length
        out += littleEndian(CRC32C.masked(length))
        out += data
        out += littleEndian(CRC32C.masked(data))
        return out
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static func readLittleEndian<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, at offset: Int, _: T.Type) -> T {
        var value: T = 0
        for k in 0..<MemoryLayout<T>.size { value |= T(bytes[bytes.startIndex + offset + k]) << (8 * k) }
        return value
    }
}
