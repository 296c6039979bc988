import Launcher
import RunSpec
import Telemetry
import XCTest

/// Which ranks the heartbeats say are lost, read from a board as the receiver fills it.
final class LivenessTests: XCTestCase {
    private let ranks = (0 ..< 4).map { RankIdentity(rank: $0, host: $0 < 2 ? "front" : "node-2", pid: Int32(100 + $0)) }

    private func board(closed: [Int: Double] = [:], heard: [Int: Double] = [:], step: Int = 41) -> [HeartbeatReceiver.Pulse] {
        ranks.map { rank in
            var activity = RankActivity(phaseSince: 0)
            activity.step = step
            var pulse = HeartbeatReceiver.Pulse(hello: HeartbeatHello(rank: rank.rank, worldSize: 4, pid: rank.pid, host: rank.host),
                                                connectedAt: 0, lastHeardAt: heard[rank.rank] ?? 100)
            pulse.latest = Heartbeat(sequence: 1, sentAt: 100, activity: activity)
            pulse.closedAt = closed[rank.rank]
            return pulse
        }
    }

    private func assess(_ board: [HeartbeatReceiver.Pulse], at now: Double) -> Loss? {
        Liveness.assess(ranks: ranks, board: board, thisHost: "front", now: now)
    }

    func testAHostWhoseConnectionsCloseTogetherIsLostOnceTheClosuresSettle() {
        let board = board(closed: [2: 100.00, 3: 100.01])
        XCTAssertNil(assess(board, at: 100.1), "more may close within the settling time")
        let loss = assess(board, at: 100.3)
        XCTAssertEqual(loss, Loss(ranks: [ranks[2], ranks[3]], cause: .connectionsClosed, host: "node-2", step: 41))
        XCTAssertEqual(loss?.line, "host node-2 (ranks 2, 3) lost in step 41: their processes ended (heartbeat connections closed); tearing the job down")
    }

    func testTheRanksMpirunEndsASecondLaterAreNotBlamed() {
        let board = board(closed: [3: 100.0, 0: 101.0, 1: 101.0, 2: 101.0])
        let loss = assess(board, at: 101.5)
        XCTAssertEqual(loss?.ranks, [ranks[3]])
        XCTAssertNil(loss?.host, "one rank of two: the host itself is not lost")
        XCTAssertEqual(loss?.subject, "rank 3 (host node-2, pid 103)")
    }

    func testThisHostsRanksAreLeftToProcAndOtherGenerationsAreIgnored() {
        XCTAssertNil(assess(board(closed: [0: 100]), at: 105), "rank 0 is local: /proc says how it ended")
        var old = board(closed: [2: 100])
        old[2].hello.pid = 999
        XCTAssertNil(assess(old, at: 105), "a closed connection of another generation's rank 2")
    }

    func testAHostSilentWhileOthersBeatIsLostAfterTheSilenceLimit() {
        let quiet = board(heard: [0: 109, 1: 109, 2: 104.5, 3: 104])
        XCTAssertNil(assess(quiet, at: 109.4), "4.9 s: not yet")
        let loss = assess(quiet, at: 109.6)
        XCTAssertEqual(loss?.cause, .silent(seconds: 109.6 - 104.5))
        XCTAssertEqual(loss?.host, "node-2")
        XCTAssertNil(assess(board(heard: [0: 100, 1: 100, 2: 100, 3: 100]), at: 200), "everyone silent: not one host's loss")
        XCTAssertNil(assess(board(heard: [0: 109, 1: 109, 2: 109, 3: 100]), at: 109.6), "one rank of the host still beats")
    }
}
