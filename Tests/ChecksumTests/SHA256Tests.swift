import Checksum
import XCTest

/// The SHA-NI path and the portable one must give FIPS 180-4's digests, for every length and
/// every way of splitting the input into updates.
final class SHA256Tests: XCTestCase {
    private let hardware = SHA256.useHardware
    override func tearDown() { SHA256.useHardware = hardware }

    /// Both paths (the hardware one only where the CPU has it).
    private var paths: [Bool] { hardware ? [false, true] : [false] }

    func testKnownVectorsOnEveryPath() {
        for path in paths {
            SHA256.useHardware = path
            XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            XCTAssertEqual(SHA256.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
            XCTAssertEqual(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000)),
                           "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "hardware: \(path)")
        }
    }

    func testHardwareAgreesWithPortableOnEveryLengthAndSplit() throws {
        guard hardware else { throw XCTSkip("this CPU has no SHA instructions: only the portable path runs") }
        var generator = SystemRandomNumberGenerator()
        let data = (0 ..< 5000).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        for length in Array(0 ... 200) + [511, 512, 513, 4095, 4096, 4097, 5000] {
            let input = Array(data.prefix(length))
            SHA256.useHardware = false
            let expected = SHA256.hex(input)
            SHA256.useHardware = true
            XCTAssertEqual(SHA256.hex(input), expected, "length \(length)")
            // Split at an odd place, so whole blocks start unaligned after a partial one.
            let cut = min(length, 37)
            var split = SHA256()
            split.update(input[..<cut])
            split.update(input[cut...])
            XCTAssertEqual(split.hexDigest(), expected, "length \(length), split at \(cut)")
        }
    }
}
