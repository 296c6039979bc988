import Foundation
import TensorBoard
import TestSupport
import XCTest

/// Random and bit-flipped files through the reader: never a trap, and for one flipped bit an
/// exact account (CRC-32C catches every single-bit error): in a record's length or its CRC, the
/// records before it are read and the file stops there; in its data or the data's CRC, that one
/// record is reported and every other read unchanged.
final class EventFileFuzzTests: XCTestCase {
    func testEveryFlippedBitIsReportedAtItsRecordAndTheRestRead() {
        let events = (1...6).map { step in
            Event(wallTime: 1_700_000_000 + Double(step), step: Int64(step), summary: Summary(values: [
                SummaryValue(tag: "loss_metrics/global_avg_loss", payload: .simple(Float(9 - step))),
                SummaryValue(tag: "lr", payload: .tensor(TensorProto(dtype: 1, floatValues: [Float(step) * 1e-4])),
                             metadata: SummaryMetadata(pluginName: "scalars")),
            ]))
        }
        var bytes: [UInt8] = [], starts: [Int] = []
        for event in events {
            starts.append(bytes.count)
            bytes += TFRecord.frame(event.encoded())
        }
        let ends = Array(starts.dropFirst()) + [bytes.count]
        var generator = SeededGenerator(seed: 18)
        for _ in 0..<2_000 {
            let position = Int.random(in: 0..<bytes.count, using: &generator)
            var flipped = bytes
            flipped[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
            let contents = EventFileReader.read(bytes: flipped, path: "f")
            let hit = starts.lastIndex { $0 <= position }!
            let label = "bit flipped at byte \(position) (record \(hit))"
            XCTAssertEqual(contents.damage.count, 1, label)
            if position < starts[hit] + TFRecord.headerSize {
                XCTAssertEqual(contents.events, Array(events[..<hit]), label)
                XCTAssertEqual(contents.damage.first?.hasPrefix("f: byte \(starts[hit]): the record's length fails its CRC"), true, label)
            } else {
                XCTAssertEqual(contents.events, events.enumerated().filter { $0.offset != hit }.map(\.element), label)
                XCTAssertEqual(contents.damage.first?.hasPrefix("f: byte \(starts[hit]): the record's \(ends[hit] - starts[hit] - 16) bytes"),
                               true, label)
            }
        }
    }

    /// Random bytes, and random bytes framed with good CRCs (so the protobuf decoder sees them):
    /// whatever they are, the reader returns, with offsets inside the file.
    func testRandomBytesNeverTrap() {
        var generator = SeededGenerator(seed: 2018)
        for round in 0..<3_000 {
            let count = Int.random(in: 0..<(round % 10 == 0 ? 4_000 : 200), using: &generator)
            let noise = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let framed = round % 2 == 0 ? noise : TFRecord.frame(noise) + TFRecord.frame(Array(noise.prefix(count / 2)))
            let contents = EventFileReader.read(bytes: framed, path: "r")
            XCTAssertTrue(contents.entries.allSatisfy { $0.offset >= 0 && $0.offset < framed.count })
            if round % 2 == 1 { XCTAssertEqual(contents.entries.count + contents.damage.count, 2) }
            var scalars = EventScalars()
            for event in contents.events { _ = scalars.take(event) }
        }
    }

    /// Protobuf-shaped noise: random field keys and lengths, nested a level, through the decoder.
    func testRandomProtobufFieldsNeverTrap() {
        var generator = SeededGenerator(seed: 5)
        var decoded = 0
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let field = UInt8.random(in: 1...11, using: &generator), wire = UInt8.random(in: 0...7, using: &generator)
                bytes.append(field << 3 | wire)
                let length = Int.random(in: 0...12, using: &generator)
                if wire == 2 { bytes.append(UInt8(length)) }
                bytes += (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            if (try? Event(decoding: bytes)) != nil { decoded += 1 }
        }
        XCTAssertGreaterThan(decoded, 0)  // some noise is valid protobuf: the decoder was reached past its first field
    }
}
