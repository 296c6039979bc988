import CSHA256

/// SHA-256 (FIPS 180-4), so fingerprints need no crypto library. Used for cache keys (the
/// tokenizer's fingerprint, a data file's content hash) and checkpoint file checksums. This type
/// buffers and pads; CSHA256 compresses whole blocks, on the CPU's SHA instructions where it has
/// them (`useHardware`): ten times the portable speed, which a mesh switch feels, since every
/// checkpoint file is hashed when written and when read.
public struct SHA256 {
    /// Whether whole blocks use the SHA-NI instructions; true where the CPU has them. Tests set it
    /// false to check the portable path against them.
    nonisolated(unsafe) public static var useHardware = csha256_hardware_available() != 0

    private var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var block = [UInt8](repeating: 0, count: 64)
    private var blockCount = 0
    private var totalBytes: UInt64 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
        totalBytes &+= UInt64(bytes.count)
        var i = 0
        let n = bytes.count
        if blockCount > 0 {
            while blockCount < 64 && i < n { block[blockCount] = bytes[i]; blockCount += 1; i += 1 }
            if blockCount == 64 {
                let full = block
                full.withUnsafeBufferPointer { compress($0.baseAddress!, blocks: 1) }
                blockCount = 0
            }
        }
        if let base = bytes.baseAddress, n - i >= 64 {
            let blocks = (n - i) / 64
            compress(base + i, blocks: blocks)
            i += blocks * 64
        }
        while i < n { block[blockCount] = bytes[i]; blockCount += 1; i += 1 }
    }

    public mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        let array = Array(bytes)
        array.withUnsafeBufferPointer { update($0) }
    }

    public mutating func finalize() -> [UInt8] {
        let bitLength = totalBytes &* 8
        var pad: [UInt8] = [0x80]
        let afterPad = (blockCount + 1) % 64
        pad += [UInt8](repeating: 0, count: afterPad <= 56 ? 56 - afterPad : 120 - afterPad)
        for shift in stride(from: 56, through: 0, by: -8) { pad.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        let saved = totalBytes
        update(pad)
        totalBytes = saved
        return h.flatMap { word in [UInt8(word >> 24), UInt8((word >> 16) & 0xff), UInt8((word >> 8) & 0xff), UInt8(word & 0xff)] }
    }

    public mutating func hexDigest() -> String {
        let digits = Array("0123456789abcdef")
        return String(finalize().flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    /// The hex digest of a whole buffer.
    public static func hex(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.hexDigest()
    }

    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.hexDigest()
    }

    private mutating func compress(_ data: UnsafePointer<UInt8>, blocks: Int) {
        let hardware: Int32 = Self.useHardware ? 1 : 0
        h.withUnsafeMutableBufferPointer { csha256_compress_blocks($0.baseAddress!, data, blocks, hardware) }
    }
}
