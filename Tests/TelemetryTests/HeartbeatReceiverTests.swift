import Foundation
import RunSpec
import Telemetry
import TestSupport
import XCTest

/// The heartbeat listener over real loopback sockets: a rank's beats reach the board, its death
/// shows as its connection closing, and no stranger gets onto the board.
final class HeartbeatReceiverTests: XCTestCase {
    private let token = TelemetryToken.generate()

    private func sender(_ receiver: HeartbeatReceiver, rank: Int = 2, activity: RankActivity = HeartbeatFrameTests.activity(),
                        token: String? = nil, reports: Reports = Reports()) throws -> HeartbeatSender {
        try HeartbeatSender(address: receiver.address, token: token ?? self.token,
                            hello: HeartbeatHello(rank: rank, worldSize: 4, pid: 4000 + Int32(rank), host: "node-\(rank)"),
                            interval: 0.05, activity: { activity }, report: reports.callback)
    }

    func testAnAdmittedRanksBeatsReachTheBoardAndItsEndClosesIt() throws {
        let receiver = try HeartbeatReceiver(token: token)
        defer { receiver.close() }
        let rank = try sender(receiver)
        XCTAssertTrue(waitUntil(timeout: 10) { (receiver.pulses.first?.beats ?? 0) >= 3 })
        let pulse = try XCTUnwrap(receiver.pulses.first)
        XCTAssertEqual(pulse.hello, HeartbeatHello(rank: 2, worldSize: 4, pid: 4002, host: "node-2"))
        XCTAssertEqual(pulse.latest?.activity, HeartbeatFrameTests.activity())
        XCTAssertNil(pulse.closedAt)
        rank.close()
        XCTAssertTrue(waitUntil(timeout: 10) { receiver.pulses.first?.closedAt != nil }, "the connection's end is seen")
        XCTAssertEqual(receiver.statistics.admitted, 1)
        XCTAssertEqual(receiver.statistics.refused, 0)
    }

    func testAWrongTokenAndABeatBeforeTheHelloAreRefusedAndNeverOnTheBoard() throws {
        let receiver = try HeartbeatReceiver(token: token)
        defer { receiver.close() }
        let stranger = try sender(receiver, token: "0123456789abcdef0123456789abcdef")
        defer { stranger.close() }
        let early = try RawClient(port: receiver.address.port)
        early.write(HeartbeatFrame.beat(Heartbeat(sequence: 1, sentAt: 1, activity: HeartbeatFrameTests.activity())).encoded())
        XCTAssertTrue(early.closedByPeer(within: 5))
        XCTAssertTrue(waitUntil(timeout: 10) { receiver.statistics.refusedByReason["wrong_token", default: 0] >= 1 })
        XCTAssertEqual(receiver.statistics.refusedByReason["not_hello"], 1)
        XCTAssertTrue(receiver.pulses.isEmpty)
    }

    /// 10,000 messages no rank would send, on connections with and without the token, while a
    /// rank beats: the rank's pulse goes on as before, and only the senders of garbage go.
    func testTenThousandBadMessagesChangeNothingForTheRanks() throws {
        let receiver = try HeartbeatReceiver(token: token, handshakeTimeout: 2)
        defer { receiver.close() }
        let rank = try sender(receiver)
        defer { rank.close() }
        XCTAssertTrue(waitUntil(timeout: 10) { (receiver.pulses.first?.beats ?? 0) >= 1 })
        var generator = SeededGenerator(seed: 17)
        let good = HeartbeatFrame.beat(Heartbeat(sequence: 1, sentAt: 1, activity: HeartbeatFrameTests.activity())).encoded()
        let hello = HeartbeatFrame.hello(HeartbeatHello(rank: 3, worldSize: 4, pid: 9, host: "evil"), token: token).encoded()
        var sent = 0
        var expectedClosed = 0
        while sent < 10_000 {
            // A batch of bad messages on one connection: the first bad one closes it.
            let client = try RawClient(port: receiver.address.port)
            let admitted = Int.random(in: 0 ..< 4, using: &generator) == 0
            if admitted { client.write(hello) }
            for _ in 0 ..< 50 {
                client.write(Self.badMessage(good: good, using: &generator))
                sent += 1
            }
            XCTAssertTrue(client.closedByPeer(within: 5), "a bad message ends its connection")
            if admitted { expectedClosed += 1 }
        }
        let before = try XCTUnwrap(receiver.pulses.first).beats
        XCTAssertTrue(waitUntil(timeout: 10) { (receiver.pulses.first?.beats ?? 0) > before + 2 }, "the rank still beats")
        let ranks = receiver.pulses.filter { $0.hello.host == "node-2" }
        XCTAssertEqual(ranks.count, 1)
        XCTAssertNil(ranks[0].closedAt)
        XCTAssertEqual(ranks[0].latest?.activity, HeartbeatFrameTests.activity())
        let stats = receiver.statistics
        XCTAssertEqual(stats.admitted, 1 + expectedClosed)
        XCTAssertEqual(stats.refused + stats.brokenByReason.values.reduce(0, +), 200, "every bad connection counted once")
    }

    /// Random bytes, an over-long length, a frame with one byte changed, a bad hello, a beat cut short.
    static func badMessage(good: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        switch Int.random(in: 0 ..< 5, using: &generator) {
        case 0: return (0 ..< Int.random(in: 3 ..< 200, using: &generator)).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        case 1: return [0xFF, 0xFF] + [UInt8](repeating: 1, count: 64)
        case 2:
            var frame = good
            frame[2] = UInt8.random(in: 3 ... 255, using: &generator)
            return frame
        case 3: return HeartbeatFrame.hello(HeartbeatHello(rank: 0, worldSize: 1, pid: 1, host: "x"), token: "wrong").encoded()
        default:
            var cut = Array(good.prefix(good.count - 3))
            cut[0] = UInt8(cut.count - 2 + 7)  // says 7 more bytes than come, then the next message's bytes are its end
            return cut + [9, 9, 9, 9, 9, 9, 9, 2, 0, 99]
        }
    }
}
