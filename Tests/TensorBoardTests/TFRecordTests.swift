import Foundation
import TensorBoard
import TestSupport
import XCTest

/// TFRecord framing: frames as tensorboard's record writer makes them, and the scanner's account
/// of every kind of damage (where it goes on, where it stops).
final class TFRecordTests: XCTestCase {
    let payloads: [[UInt8]] = [Array("first".utf8), [], Array(repeating: 0xAB, count: 300), Array("last".utf8)]

    func testAFrameIsTheLengthItsCRCTheDataAndItsCRC() {
        let frame = TFRecord.frame(Array("abc".utf8))
        XCTAssertEqual(frame.count, 12 + 3 + 4)
        XCTAssertEqual(Array(frame[0..<8]), [3, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(frame[8..<12]), le(CRC32C.masked(frame[0..<8])))
        XCTAssertEqual(Array(frame[12..<15]), Array("abc".utf8))
        XCTAssertEqual(Array(frame[15..<19]), le(CRC32C.masked(Array("abc".utf8))))
    }

    /// Byte for byte what tensorboard.summary.writer.record_writer.RecordWriter writes.
    func testFramesEqualTensorBoardsRecordWriter() throws {
        let python = try PythonReference.interpreter(importing: ["tensorboard"])
        let folder = try makeTemporaryFolder(for: self, "tfrecord")
        let out = folder.appendingPathComponent("records")
        let script = """
        import sys, binascii
        from tensorboard.summary.writer.record_writer import RecordWriter
        w = RecordWriter(open(sys.argv[1], "wb"))
        for h in sys.argv[2:]:
            w.write(b"" if h == "-" else binascii.unhexlify(h))
        w.close()
        """
        let hex = payloads.map { $0.isEmpty ? "-" : $0.map { String(format: "%02x", $0) }.joined() }
        _ = try PythonReference.run(python, script, [out.path] + hex)
        XCTAssertEqual([UInt8](try Data(contentsOf: out)), payloads.flatMap(TFRecord.frame))
    }

    func testEveryRecordIsReadWithItsOffset() {
        let (bytes, starts) = stream(payloads)
        let (items, stoppedAt) = TFRecordScanner.scan(bytes[...])
        XCTAssertEqual(items, zip(starts, payloads).map { .record(offset: $0, data: $1[...]) })
        XCTAssertEqual(stoppedAt, bytes.count)
    }

    func testAfterABadDataCRCTheNextRecordIsRead() {
        var (bytes, starts) = stream(payloads)
        bytes[starts[2] + 12 + 100] ^= 0x10
        let (items, _) = TFRecordScanner.scan(bytes[...])
        XCTAssertEqual(items, [.record(offset: starts[0], data: payloads[0][...]), .record(offset: starts[1], data: payloads[1][...]),
                               .damaged(offset: starts[2], .badDataCRC(length: 300)), .record(offset: starts[3], data: payloads[3][...])])
    }

    func testABadLengthCRCStopsTheFile() {
        var (bytes, starts) = stream(payloads)
        bytes[starts[1]] ^= 0x01  // its length: 0 becomes 1
        let (items, stoppedAt) = TFRecordScanner.scan(bytes[...])
        XCTAssertEqual(items, [.record(offset: starts[0], data: payloads[0][...]), .damaged(offset: starts[1], .badLengthCRC)])
        XCTAssertEqual(stoppedAt, starts[1])
        XCTAssertTrue(TFRecordScanner.Damage.badLengthCRC.endsTheFile)
        XCTAssertTrue(TFRecordScanner.Damage.badLengthCRC.text.contains("nothing after it can be trusted"))
    }

    func testATornTailIsReportedWhereItStarts() {
        let (bytes, starts) = stream(payloads)
        for cut in [starts[3] + 3, starts[3] + 12, starts[3] + 15, bytes.count - 1] {
            let (items, stoppedAt) = TFRecordScanner.scan(bytes[..<cut])
            XCTAssertEqual(items.count, 4, "cut at \(cut)")
            XCTAssertEqual(stoppedAt, starts[3], "cut at \(cut)")
            guard case .damaged(let offset, .truncated(let needed, let available)) = items.last else {
                return XCTFail("cut at \(cut): \(items)")
            }
            XCTAssertEqual(offset, starts[3])
            XCTAssertEqual(available, cut - starts[3])
            XCTAssertEqual(needed, cut - starts[3] < 12 ? 16 : 20)
        }
    }

    /// A length near 2^64 with a valid CRC (as a crafted file could have): a truncation, no trap.
    func testAHugeLengthIsATruncationNotATrap() {
        var header = TFRecord.frame([])
        let length = [UInt8](repeating: 0xFF, count: 8)
        header.replaceSubrange(0..<8, with: length)
        header.replaceSubrange(8..<12, with: le(CRC32C.masked(length)))
        let (items, _) = TFRecordScanner.scan(header[...])
        XCTAssertEqual(items, [.damaged(offset: 0, .truncated(needed: UInt64.max, available: 16))])
    }

    /// A scan from a later offset of a slice that does not start at 0 (a follower's second read).
    func testScanningResumesFromAnOffset() {
        let (bytes, starts) = stream(payloads)
        let slice = ([0xEE, 0xEE] + bytes)[2...]
        let (items, stoppedAt) = TFRecordScanner.scan(slice, from: starts[2])
        XCTAssertEqual(items, [.record(offset: starts[2], data: payloads[2][...]), .record(offset: starts[3], data: payloads[3][...])])
        XCTAssertEqual(stoppedAt, bytes.count)
    }

    private func stream(_ payloads: [[UInt8]]) -> ([UInt8], [Int]) {
        var bytes: [UInt8] = [], starts: [Int] = []
        for p in payloads {
            starts.append(bytes.count)
            bytes += TFRecord.frame(p)
        }
        return (bytes, starts)
    }

    private func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}
