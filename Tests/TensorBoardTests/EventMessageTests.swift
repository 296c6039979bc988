import Foundation
import TensorBoard
import XCTest

/// The event messages on protobuf's wire: round trips, the exact bytes of a small event, and
/// fields of every wire type that a message does not know, passed over.
final class EventMessageTests: XCTestCase {
    func testEventsRoundTrip() throws {
        let tensor = TensorProto(dtype: 1, floatValues: [2.5])
        let text = TensorProto(dtype: 7, stringValues: [Array("{\"mesh\": [2, 1]}".utf8)])
        let events = [
            Event(wallTime: 1_700_000_000.25, fileVersion: Event.fileVersion2, sourceWriter: "meshtop"),
            Event(wallTime: 1.5, step: 12, summary: Summary(values: [
                SummaryValue(tag: "loss_metrics/global_avg_loss", payload: .simple(8.0576)),
                SummaryValue(tag: "zero", payload: .simple(0)),
                SummaryValue(tag: "t", payload: .tensor(tensor), metadata: SummaryMetadata(pluginName: "scalars", dataClass: 1)),
                SummaryValue(tag: "meshtop/hello", payload: .tensor(text), metadata: SummaryMetadata(pluginName: "text")),
            ])),
            Event(wallTime: 0, step: -3),
            Event(wallTime: 2, step: Int64.max, summary: Summary(values: [])),
            Event(wallTime: 3, step: 1, summary: Summary(values: [SummaryValue(tag: "d", payload: .tensor(
                TensorProto(dtype: 2, shape: [1], doubleValues: [1e-300])))])),
        ]
        for event in events { XCTAssertEqual(try Event(decoding: event.encoded()), event) }
    }

    /// Hand-assembled from the .proto: wall_time (1, fixed64), step (2, varint), summary (5) with
    /// one value: tag (1) "a", simple_value (2, fixed32) 1.0.
    func testTheBytesOfASmallEvent() {
        let event = Event(wallTime: 1.0, step: 300, summary: Summary(values: [SummaryValue(tag: "a", payload: .simple(1))]))
        XCTAssertEqual(event.encoded(), [0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x10, 0xAC, 0x02,
                                         0x2A, 0x0A, 0x0A, 0x08, 0x0A, 0x01, 0x61, 0x15, 0, 0, 0x80, 0x3F])
    }

    /// A scalar's tensor in each form writers use: float_val packed and not, double_val,
    /// tensor_content; a shape [1] too. A string or a longer tensor is no scalar.
    func testTensorScalarsInEveryForm() throws {
        XCTAssertEqual(TensorProto(dtype: 1, floatValues: [0.5]).scalar, 0.5)
        XCTAssertEqual(TensorProto(dtype: 2, doubleValues: [0.25]).scalar, 0.25)
        XCTAssertEqual(TensorProto(dtype: 1, content: [0, 0, 0x40, 0x40]).scalar, 3)
        XCTAssertEqual(TensorProto(dtype: 2, shape: [1], content: [0, 0, 0, 0, 0, 0, 0x10, 0x40]).scalar, 4)
        XCTAssertNil(TensorProto(dtype: 1, shape: [2], floatValues: [1, 2]).scalar)
        XCTAssertNil(TensorProto(dtype: 7, stringValues: [[0x61]]).scalar)
        XCTAssertNil(TensorProto(dtype: 1, content: [0, 0]).scalar)
        // float_val unpacked: field 5 as fixed32 (wire type 5); twice would be two values.
        var w = Wire()
        w.key(1, 0); w.varint(1)
        w.key(5, 5); w.fixed32(Float(7.5).bitPattern)
        var event = Wire()
        event.key(5, 2); event.nested { summary in summary.key(1, 2); summary.nested { value in
            value.key(1, 2); value.varint(1); value.bytes.append(0x74)
            value.key(8, 2); value.nested { $0.bytes = w.bytes }
            value.key(9, 2); value.nested { $0.key(1, 2); $0.nested { $0.key(1, 2); $0.varint(7); $0.bytes += Array("scalars".utf8) } }
        } }
        let decoded = try Event(decoding: event.bytes)
        guard case .tensor(let tensor) = decoded.summary?.values.first?.payload else { return XCTFail("\(decoded)") }
        XCTAssertEqual(tensor.floatValues, [7.5])
        XCTAssertEqual(tensor.scalar, 7.5)
    }

    /// Fields the messages do not know, of every wire type (a group included), and known numbers
    /// with another wire type: skipped, the known fields still read.
    func testUnknownFieldsAreSkippedByWireType() throws {
        var value = Wire()
        value.key(30, 0); value.varint(99)                            // varint
        value.key(1, 2); value.varint(3); value.bytes += Array("tag".utf8)
        value.key(31, 1); value.bytes += [UInt8](repeating: 1, count: 8)  // fixed64
        value.key(32, 2); value.varint(2); value.bytes += [7, 0]      // length-delimited
        value.key(33, 3); value.key(1, 0); value.varint(5); value.key(33, 4)  // a group holding a field 1
        value.key(2, 5); value.fixed32(Float(6.5).bitPattern)
        value.key(34, 5); value.fixed32(1)                            // fixed32
        var event = Wire()
        event.key(1, 0); event.varint(5)                              // wall_time as a varint: not its type, skipped
        event.key(2, 0); event.varint(4)
        event.key(5, 2); event.nested { summary in summary.key(1, 2); summary.nested { $0.bytes = value.bytes } }
        event.key(99, 2); event.varint(1); event.bytes.append(0x61)
        let decoded = try Event(decoding: event.bytes)
        XCTAssertEqual(decoded, Event(wallTime: 0, step: 4, summary: Summary(values: [SummaryValue(tag: "tag", payload: .simple(6.5))])))
    }

    func testBytesThatAreNoProtobufThrow() {
        let cases: [[UInt8]] = [
            [0x0E],                                  // wire type 6
            [0x0F],                                  // wire type 7
            [0x00, 0x01],                            // field 0
            [0x2A, 0x05, 0x01],                      // a length past the end
            [0x10] + [UInt8](repeating: 0xFF, count: 10) + [0x01],  // a varint of eleven bytes
            [0x10, 0x80],                            // a varint cut off
            [0x09, 0x00, 0x00],                      // a fixed64 cut off
            [0x1B, 0x08, 0x01],                      // a group never closed
            [0x1C],                                  // an end-group with none open
            [0x1B, 0x24],                            // group 3 closed as 4
        ]
        for bytes in cases { XCTAssertThrowsError(try Event(decoding: bytes), "\(bytes)") }
    }
}

/// Protobuf's wire format written by hand, independently of the module's writer.
struct Wire {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: UInt64, _ wire: UInt64) { varint(field << 3 | wire) }

    mutating func fixed32(_ value: UInt32) { for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * k))) } }

    /// A length-delimited body (its key already written).
    mutating func nested(_ build: (inout Wire) -> Void) {
        var inner = Wire()
        build(&inner)
        varint(UInt64(inner.bytes.count))
        bytes += inner.bytes
    }
}
