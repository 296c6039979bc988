import Diagnosis
import RunSpec
import Telemetry
import XCTest

/// Who waits for whom, read from heartbeats as the receiver holds them: each case is a board a
/// real hang leaves (docs/diagnosis.md).
final class HangReportTests: XCTestCase {
    private let mesh = try! MeshShape(replicate: 2, shard: 2)
    private let now = 1000.0

    /// Rank r's pulse: heard `ago` seconds back, with `entered` calls per axis and maybe a call it waits in.
    private func pulse(_ rank: Int, ago: Double = 0.5, entered: [Int] = [0, 0, 0], waiting: CollectiveCall? = nil) -> HeartbeatReceiver.Pulse {
        var a = RankActivity(phaseSince: now - 20)
        a.phase = .backward
        a.step = 41
        a.entered = entered
        a.waitingIn = waiting
        var p = HeartbeatReceiver.Pulse(hello: HeartbeatHello(rank: rank, worldSize: 4, pid: Int32(100 + rank), host: "h\(rank / 2)"),
                                        connectedAt: 0, lastHeardAt: now - ago)
        p.latest = Heartbeat(sequence: 1, sentAt: now - ago, activity: a)
        return p
    }

    private func call(_ op: CollectiveOperation, _ axis: MeshAxis, _ group: Int, _ seq: Int, since: Double) -> CollectiveCall {
        CollectiveCall(operation: op, axis: axis, group: group, sequence: seq, bytes: 64, startedAt: now - since)
    }

    func testARankThatHasNotEnteredTheCallIsNamed() {
        let gather = call(.allGather, .shard, 1, 10, since: 14)
        let report = HangReport(mesh: mesh, pulses: [0: pulse(0), 1: pulse(1), 2: pulse(2, entered: [0, 0, 10], waiting: gather),
                                                     3: pulse(3, ago: 14, entered: [0, 0, 9])], now: now, stalledFor: 15)
        XCTAssertEqual(report.headline, "rank 3 (silent: stopped?) has not entered all-gather #10 on shard group 1; rank 2 waits for it since 14 s")
        XCTAssertEqual(report.blockers.first?.notEntered, [3])
        XCTAssertEqual(report.ranks[3].line, "rank 3 (h1): silent for 14 s, last beat: backward in step 41")
        XCTAssertEqual(report.ranks[2].line, "rank 2 (h1): backward in step 41, waiting in all-gather #10 on shard group 1")
    }

    func testARankStoppedInsideTheCallIsNamedAndItsStaleWaitIsNotCounted() {
        let scatter = call(.reduceScatter, .shard, 1, 75, since: 6)
        let report = HangReport(mesh: mesh, pulses: [0: pulse(0), 1: pulse(1), 2: pulse(2, entered: [0, 0, 75], waiting: scatter),
                                                     3: pulse(3, ago: 6, entered: [0, 0, 75], waiting: scatter)], now: now, stalledFor: 7)
        XCTAssertEqual(report.headline, "rank 3 stopped inside reduce-scatter #75 on shard group 1 (no heartbeat); rank 2 waits for it since 6.0 s")
        XCTAssertEqual(report.blockers.map(\.waiting), [[2]])
    }

    func testTheRootOfAChainOfWaitsIsNamedNotTheRankWaitingOnIt() {
        // Rank 0 waits for rank 2 on its column, rank 2 for rank 3 on its row: rank 3 is the root.
        let reduce = call(.allReduce, .replicate, 0, 5, since: 20)
        let scatter = call(.reduceScatter, .shard, 1, 30, since: 14)
        let report = HangReport(mesh: mesh, pulses: [0: pulse(0, entered: [0, 5, 0], waiting: reduce), 1: pulse(1),
                                                     2: pulse(2, entered: [0, 4, 30], waiting: scatter),
                                                     3: pulse(3, ago: 14, entered: [0, 4, 29])], now: now, stalledFor: 21)
        XCTAssertTrue(report.headline.hasPrefix("rank 3 (silent: stopped?) has not entered reduce-scatter #30 on shard group 1"), report.headline)
        XCTAssertEqual(report.blockers.count, 2, "both waits are on the board")
    }

    func testGroupsAreTheMeshsRowsAndColumns() {
        XCTAssertEqual(HangReport.members(of: call(.allGather, .shard, 1, 1, since: 0), in: mesh), [2, 3])
        XCTAssertEqual(HangReport.members(of: call(.allReduce, .replicate, 1, 1, since: 0), in: mesh), [1, 3])
        XCTAssertEqual(HangReport.members(of: call(.barrier, .world, 0, 1, since: 0), in: mesh), [0, 1, 2, 3])
    }
}

final class HangWatchTests: XCTestCase {
    func testTheDefaultLimitIsThirtySecondsOrFiveMedianStepsAndAStepEndsTheHang() {
        var watch = HangWatch(limit: nil, startedAt: 0)
        XCTAssertEqual(watch.limit, 30)
        XCTAssertNil(watch.check(at: 29))
        XCTAssertEqual(watch.check(at: 31), .began(stalledFor: 31))
        XCTAssertNil(watch.check(at: 32), "said once")
        XCTAssertEqual(watch.step(1, seconds: 10, at: 40), .ended(step: 1, after: 40))
        for n in 2 ... 4 { _ = watch.step(n, seconds: 10, at: 40 + Double(n)) }
        XCTAssertEqual(watch.limit, 50, "5 x the median step of 10 s")
        XCTAssertNil(watch.check(at: 44 + 49))
        watch.progress(at: 60)
        XCTAssertNil(watch.check(at: 100), "a checkpoint counts as progress")
        XCTAssertEqual(HangWatch(limit: 3, startedAt: 0).limit, 3)
    }

    func testAGroupWaitingForAPeerPastTheDivergenceLimitIsAHangBeforeTheStepLimit() {
        var watch = HangWatch(limit: nil, startedAt: 0)
        for n in 1 ... 5 { _ = watch.step(n, seconds: 1, at: Double(n)) }
        XCTAssertEqual(watch.divergenceLimit, 10, "the 10 s floor over 2 x a 1 s median")
        XCTAssertNil(watch.check(at: 14, divergedFor: 9.5), "waits shorter than the limit are a straggler's")
        XCTAssertEqual(watch.check(at: 16, divergedFor: 10.5), .began(stalledFor: 11, divergedFor: 10.5))
        XCTAssertNil(watch.check(at: 17, divergedFor: 12), "said once")
        XCTAssertEqual(watch.step(6, seconds: 1, at: 18), .ended(step: 6, after: 13))

        var slow = HangWatch(limit: nil, startedAt: 0)
        for n in 1 ... 5 { _ = slow.step(n, seconds: 8, at: 8 * Double(n)) }
        XCTAssertEqual(slow.divergenceLimit, 16, "2 x the median step of 8 s")
        XCTAssertNil(slow.check(at: 40 + 15, divergedFor: 15))
        XCTAssertEqual(HangWatch(limit: 3, startedAt: 0).divergenceLimit, 3, "never later than --hang-after")
    }
}

extension HangReportTests {
    /// Measured on a real run: rank 0 (root of a gather) waits for ranks 2 and 3; rank 2 waits
    /// on its row for rank 3, which is stopped. The gather only passes rank 3's stop along.
    func testACallWhoseCulpritsAreAllStuckIsTheRoot() {
        let gather = call(.gather, .world, 0, 193, since: 2.8)
        let norm = call(.allReduce, .shard, 1, 704, since: 2.5)
        let report = HangReport(mesh: mesh, pulses: [0: pulse(0, entered: [193, 0, 0], waiting: gather),
                                                     1: pulse(1, entered: [194, 0, 0], waiting: call(.broadcast, .world, 0, 194, since: 2.7)),
                                                     2: pulse(2, entered: [192, 0, 704], waiting: norm),
                                                     3: pulse(3, ago: 3.5, entered: [190, 0, 675])], now: now, stalledFor: 3)
        XCTAssertEqual(report.headline, "rank 3 (silent: stopped?) has not entered all-reduce #704 on shard group 1; rank 2 waits for it since 2.5 s")
    }
}
