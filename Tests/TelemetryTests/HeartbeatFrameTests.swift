import RunSpec
import Telemetry
import XCTest

/// The heartbeat wire: every field survives a round trip, and anything else is refused with the
/// reason a receiver counts.
final class HeartbeatFrameTests: XCTestCase {
    static func activity() -> RankActivity {
        var a = RankActivity(phaseSince: 1_796_300_000.25)
        a.phase = .backward
        a.step = 41
        a.completedSteps = 40
        a.entered = [7, 1284, 96]
        a.waitingIn = CollectiveCall(operation: .allGather, axis: .shard, group: 1, sequence: 1284, bytes: 4_718_592,
                                     startedAt: 1_796_300_001.5)
        a.lastCompleted = CollectiveCall(operation: .reduceScatter, axis: .replicate, group: 3, sequence: 96, bytes: 12,
                                         startedAt: 1_796_300_000.75)
        a.lastCompletedAt = 1_796_300_001
        return a
    }

    func testHelloAndBeatsRoundTrip() throws {
        let hello = HeartbeatFrame.hello(HeartbeatHello(rank: 4095, worldSize: 4096, pid: 123_456, host: "node-17.cluster"),
                                         token: "5f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5")
        var idle = RankActivity(phaseSince: 5)
        idle.phase = .idle
        for frame in [hello, .beat(Heartbeat(sequence: 9, sentAt: 1_796_300_002, activity: Self.activity())),
                      .beat(Heartbeat(sequence: 1, sentAt: 6, activity: idle))] {
            let bytes = frame.encoded()
            XCTAssertEqual(Int(bytes[0]) | Int(bytes[1]) << 8, bytes.count - 2, "the length prefix counts the body")
            XCTAssertLessThanOrEqual(bytes.count - 2, HeartbeatFrame.maxLength)
            XCTAssertEqual(try HeartbeatFrame.decode(bytes[2...]), frame)
        }
    }

    func testEveryTruncationAndAnyTrailingByteIsMalformed() {
        let body = Array(HeartbeatFrame.beat(Heartbeat(sequence: 3, sentAt: 7, activity: Self.activity())).encoded().dropFirst(2))
        for cut in 1 ..< body.count {
            XCTAssertThrowsError(try HeartbeatFrame.decode(body[0 ..< cut]), "cut at \(cut)")
        }
        XCTAssertEqual(reason(body + [0]), "malformed")
    }

    func testWrongMagicVersionTypeAndValuesAreRefusedByName() {
        var hello = Array(HeartbeatFrame.hello(HeartbeatHello(rank: 0, worldSize: 2, pid: 1, host: "h"), token: "t").encoded().dropFirst(2))
        XCTAssertEqual(reason([9] + hello.dropFirst()), "unknown_type")
        hello[1] = UInt8(ascii: "X")
        XCTAssertEqual(reason(hello), "bad_magic")
        hello[1] = UInt8(ascii: "M")
        hello[5] = 2
        XCTAssertEqual(reason(hello), "bad_version")
        let rankOutside = Array(HeartbeatFrame.hello(HeartbeatHello(rank: 2, worldSize: 2, pid: 1, host: "h"), token: "t").encoded().dropFirst(2))
        XCTAssertEqual(reason(rankOutside), "malformed")

        var beat = Array(HeartbeatFrame.beat(Heartbeat(sequence: 1, sentAt: 7, activity: Self.activity())).encoded().dropFirst(2))
        let phaseAt = 1 + 8 + 8
        beat[phaseAt] = 200
        XCTAssertEqual(reason(beat), "malformed", "a phase out of range")
        beat[phaseAt] = RankPhase.forward.rawValue
        XCTAssertNoThrow(try HeartbeatFrame.decode(beat[...]))
        let nan = Double.nan.bitPattern.littleEndian
        withUnsafeBytes(of: nan) { for i in 0 ..< 8 { beat[1 + 8 + i] = $0[i] } }
        XCTAssertEqual(reason(beat), "malformed", "a time that is not a number")
        XCTAssertEqual(reason([UInt8](repeating: 2, count: HeartbeatFrame.maxLength + 1)), "too_long")
    }

    private func reason(_ body: [UInt8]) -> String? {
        do {
            _ = try HeartbeatFrame.decode(body[...])
            return nil
        } catch {
            return error.category
        }
    }
}
