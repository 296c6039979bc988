import Launcher
import RunSpec
import Telemetry
import TestSupport
import XCTest

/// The mesh `--on-failure shrink` goes on with, and the lines a recovery says, without processes.
final class ShrinkRuleTests: XCTestCase {
    func rank(_ n: Int, host: String = "a") -> RankIdentity { RankIdentity(rank: n, host: host, pid: Int32(100 + n)) }

    func testTheMostSurvivingRanksThatShareTheGlobalBatchKeepingTheShardDegree() throws {
        let batch = GlobalBatch(localBatchSize: 8, gradAccum: 1, ranks: 4)  // 32 sequences
        func shrink(_ r: Int, _ s: Int, lost: [Int], batch: GlobalBatch = batch) throws -> MeshShape {
            try ShrinkRule.choose(old: meshShape(r, s), batch: batch, loss: Loss(ranks: lost.map { rank($0) }, cause: .processGone),
                                  hosts: nil).mesh
        }
        XCTAssertEqual(try shrink(2, 2, lost: [3]), meshShape(1, 2), "3 ranks cannot share 32 sequences; 2 keep the shards")
        XCTAssertEqual(try shrink(4, 1, lost: [0]), meshShape(2, 1), "replicate stays replicate")
        XCTAssertEqual(try shrink(1, 4, lost: [2]), meshShape(1, 2), "the shard degree shrinks to what divides the ranks")
        let twelve = GlobalBatch(localBatchSize: 3, gradAccum: 1, ranks: 4)  // 12 sequences
        XCTAssertEqual(try shrink(2, 2, lost: [1], batch: twelve), meshShape(3, 1), "3 ranks share 12: shard 2 does not divide 3")
        XCTAssertEqual(try shrink(2, 1, lost: [1]), meshShape(1, 1))
        XCTAssertThrowsError(try shrink(1, 1, lost: [0])) { error in
            XCTAssertEqual("\(error)", "cannot shrink: no rank of mesh [1, 1] survives")
        }
    }

    func testALostHostLeavesTheOtherHostsSlotsAndItsHostfile() throws {
        // The hostfile names the hosts by address, the ranks by name.
        let hosts = Hostfile(hosts: [.init(name: "10.0.0.1", slots: 2), .init(name: "10.0.0.2", slots: 2)])
        let batch = GlobalBatch(localBatchSize: 8, gradAccum: 1, ranks: 4)
        let loss = Loss(ranks: [rank(2, host: "h2"), rank(3, host: "h2")], cause: .connectionsClosed, host: "h2")
        let choice = try ShrinkRule.choose(old: meshShape(2, 2), batch: batch, loss: loss, hosts: hosts)
        XCTAssertEqual(choice.mesh, meshShape(1, 2))
        XCTAssertEqual(choice.hosts, Hostfile(hosts: [.init(name: "10.0.0.1", slots: 2)]))
        let first = Loss(ranks: [rank(0, host: "h1"), rank(1, host: "h1")], cause: .connectionsClosed, host: "h1")
        XCTAssertEqual(try ShrinkRule.choose(old: meshShape(2, 2), batch: batch, loss: first, hosts: hosts).hosts,
                       Hostfile(hosts: [.init(name: "10.0.0.2", slots: 2)]), "the first host lost: the second goes on")
        let alone = Hostfile(hosts: [.init(name: "10.0.0.2", slots: 2)])
        XCTAssertThrowsError(try ShrinkRule.choose(old: meshShape(1, 2), batch: batch, loss: first, hosts: alone)) { error in
            XCTAssertEqual("\(error)", "cannot shrink: host h1 was the only host, no rank survives")
        }
    }

    func testTheRecoveryLineSaysWhatWasLostWhereItResumedHowFastAndWhatWasRedone() throws {
        let failure = Failure(subject: "rank 3", ranks: [3], host: nil, step: 41, mesh: meshShape(2, 2), time: 100)
        var attempt = RecoveryAttempt(failure: failure, attempt: 1, mesh: meshShape(2, 1), relaunched: 100.5)
        XCTAssertEqual(attempt.text, "rank 3 lost at step 41 on [2, 2]; relaunching on [2, 1] (attempt 1)")
        attempt.firstStep = 41
        attempt.firstStepTime = 102.1
        XCTAssertEqual(attempt.text, "rank 3 lost at step 41 on [2, 2]; resumed at step 40 on [2, 1] in 2.1 s; 1 step redone")
        XCTAssertEqual(Recovery().delay(attempt: 1), 0.5)
        XCTAssertEqual(Recovery().delay(attempt: 3), 2)
        XCTAssertEqual(Recovery().delay(attempt: 9), 4, "the back-off is capped")
    }
}
