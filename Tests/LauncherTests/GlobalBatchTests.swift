import Launcher
import Telemetry
import XCTest

/// A switch keeps the global batch: the split over the new ranks, and the relaunch's arguments.
final class GlobalBatchTests: XCTestCase {
    func testTheLocalBatchIsKeptWhenItDividesEachRanksShareElseTheLargestThatDoes() throws {
        let batch = GlobalBatch(localBatchSize: 8, gradAccum: 1, ranks: 4)  // (2, 2): 32 sequences
        XCTAssertEqual(batch.sequences, 32)
        func split(_ r: Int, _ s: Int, local: Int = 8) throws -> [Int] {
            let x = try batch.split(over: MeshTarget(replicate: r, shard: s), keepingLocalBatch: local)
            return [x.localBatchSize, x.gradAccum]
        }
        XCTAssertEqual(try split(4, 1), [8, 1])
        XCTAssertEqual(try split(1, 4), [8, 1])
        XCTAssertEqual(try split(1, 2), [8, 2])
        XCTAssertEqual(try split(1, 1), [8, 4])
        XCTAssertEqual(try split(8, 1), [4, 1])
        XCTAssertEqual(try split(2, 1, local: 6), [4, 4], "6 does not divide 16: the largest below it that does")
        XCTAssertThrowsError(try split(3, 1)) { error in
            XCTAssertEqual("\(error)", "mesh 3x1: 3 ranks cannot keep the global batch of 32 sequences (not a multiple of 3)")
        }
        XCTAssertThrowsError(try split(0, 2))
    }

    func testARelaunchMovesTheMeshAndBatchAndResumesKeepingEverythingElse() throws {
        let plan = LaunchPlan(ranks: 4, rankExecutable: "/bin/meshtop-rank",
                              rankArguments: ["--mesh", "2x2", "--flavor", "tiny", "--local-batch-size", "8", "--steps", "20",
                                              "--checkpoint-dir", "/tmp/c", "--resume-step", "10", "--dump-folder", "out"],
                              threads: 1, cores: 2, isRoot: false, exportedVariables: ["MESHTOP_TELEMETRY"])
        XCTAssertEqual(plan.mesh, MeshTarget(replicate: 2, shard: 2))
        let batch = GlobalBatch(localBatchSize: 8, gradAccum: 1, ranks: 4)
        let moved = try plan.relaunched(on: MeshTarget(replicate: 1, shard: 2), keeping: batch, localBatchSize: 8)
        XCTAssertEqual(moved.ranks, 2)
        XCTAssertEqual(moved.mesh, MeshTarget(replicate: 1, shard: 2))
        XCTAssertEqual(moved.rankArguments, ["--mesh", "1x2", "--flavor", "tiny", "--steps", "20", "--checkpoint-dir", "/tmp/c",
                                             "--dump-folder", "out", "--local-batch-size", "8", "--grad-accum", "2", "--resume"])
        XCTAssertEqual(moved.exportedVariables, plan.exportedVariables)
        XCTAssertFalse(moved.oversubscribe, "2 ranks on 2 cores")
        // Moving again (or back) gives the same arguments as moving the original.
        let back = try moved.relaunched(on: MeshTarget(replicate: 2, shard: 2), keeping: batch, localBatchSize: 8)
        XCTAssertEqual(back.rankArguments, ["--mesh", "2x2", "--flavor", "tiny", "--steps", "20", "--checkpoint-dir", "/tmp/c",
                                            "--dump-folder", "out", "--local-batch-size", "8", "--grad-accum", "1", "--resume"])
        XCTAssertEqual(LaunchPlan(ranks: 1, rankExecutable: "r", rankArguments: ["--mesh=1x1"]).mesh, nil,
                       "only the two-word form (the one RunCommand writes) is read")
    }
}
