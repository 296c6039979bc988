import Foundation
import TensorBoard
import TestSupport
import XCTest

/// CRC-32C against published vectors, and TensorFlow's mask against its definition and its tests.
final class CRC32CTests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)  // the check value of CRC-32C
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
        // RFC 3720 (iSCSI) B.4, as TensorFlow's crc32c_test.cc also checks them.
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }), 0x113F_DB5C)
    }

    /// TensorFlow's `CRC.Mask` test: masking changes the CRC, twice too, and unmasking undoes it.
    func testTheMaskIsTensorFlows() {
        let crc = CRC32C.checksum(Array("foo".utf8))
        XCTAssertNotEqual(crc, CRC32C.mask(crc))
        XCTAssertNotEqual(crc, CRC32C.mask(CRC32C.mask(crc)))
        XCTAssertEqual(crc, CRC32C.unmask(CRC32C.mask(crc)))
        XCTAssertEqual(crc, CRC32C.unmask(CRC32C.unmask(CRC32C.mask(CRC32C.mask(crc)))))
        // crc32c.h: ((crc >> 15) | (crc << 17)) + 0xa282ead8, worked by hand for 0xE3069283:
        // rotr 15 = 0x2507C60D, + 0xA282EAD8 = 0xC78AB0E5.
        XCTAssertEqual(CRC32C.mask(0xE306_9283), 0xC78A_B0E5)
    }

    /// tensorboard's own masked_crc32c (its TensorFlow-free record writer's) on the same bytes.
    func testMaskedCRCsEqualTensorBoardsOwn() throws {
        let python = try PythonReference.interpreter(importing: ["tensorboard"])
        var generator = SeededGenerator(seed: 7)
        let inputs: [[UInt8]] = [[], Array("123456789".utf8)] + (0..<20).map { n in
            (0..<(n * 37)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        let script = """
        import sys, binascii
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
        for line in open(sys.argv[1]).read().split():
            print(masked_crc32c(b"" if line == "-" else binascii.unhexlify(line)))
        """
        let file = try makeTemporaryFolder(for: self, "crc").appendingPathComponent("inputs.txt")
        try inputs.map { $0.isEmpty ? "-" : $0.map { String(format: "%02x", $0) }.joined() }.joined(separator: "\n")
            .write(to: file, atomically: true, encoding: .utf8)
        let reference = try PythonReference.run(python, script, [file.path]).split(separator: "\n").map { UInt32($0) }
        XCTAssertEqual(reference, inputs.map { CRC32C.masked($0) })
    }
}
