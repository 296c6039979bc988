/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum TFRecord frames carry,
/// and TensorFlow's mask of it (`tensorflow/core/lib/hash/crc32c.h`: rotate right by 15 bits,
/// add 0xa282ead8), which keeps the CRC of bytes that themselves hold CRCs from being trivial.
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The CRC-32C of `bytes` (of "123456789": 0xE3069283).
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        table.withUnsafeBufferPointer { table in
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes { crc = (crc >> 8) ^ table[Int((crc ^ UInt32(byte)) & 0xFF)] }
            return crc ^ 0xFFFF_FFFF
        }
    }

    static let maskDelta: UInt32 = 0xA282_EAD8

    /// TensorFlow's `crc32c::Mask`.
    public static func mask(_ crc: UInt32) -> UInt32 { ((crc >> 15) | (crc << 17)) &+ maskDelta }

    /// TensorFlow's `crc32c::Unmask`: `unmask(mask(c)) == c`.
    public static func unmask(_ masked: UInt32) -> UInt32 {
        let rotated = masked &- maskDelta
        return (rotated >> 17) | (rotated << 15)
    }

    /// The masked CRC a TFRecord frame stores.
    public static func masked<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        mask(checksum(bytes))
    }
}
