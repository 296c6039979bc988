import RunSpec
import TestSupport
import Launcher
import RunOptions
import Telemetry
import XCTest

/// A switch keeps the global batch: the split over the new ranks, and the relaunch's arguments.
final class GlobalBatchTests: XCTestCase {
    func testTheLocalBatchIsKeptWhenItDividesEachRanksShareElseTheLargestThatDoes() throws {
        let batch = GlobalBatch(localBatchSize: 8, gradAccum: 1, ranks: 4)  // (2, 2): 32 sequences
        XCTAssertEqual(batch.sequences, 32)
        func split(_ r: Int, _ s: Int, local: Int = 8) throws -> [Int] {
            let x = try batch.split(over: meshShape(r, s), keepingLocalBatch: local)
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
        XCTAssertThrowsError(try batch.split(ranks: 0, keepingLocalBatch: 8))
        XCTAssertThrowsError(try MeshShape(replicate: 0, shard: 2), "a mesh of 0 x 2 cannot be asked for")
    }

    func testARelaunchMovesTheMeshAndBatchAndResumesKeepingEverythingElse() throws {
        let plan = try LaunchPlan(rankExecutable: "/bin/meshtop-rank",
                                  rankArguments: ["--mesh", "2x2", "--flavor", "tiny", "--local-batch-size", "8", "--steps", "20",
                                                  "--checkpoint-dir", "/tmp/c", "--resume-step", "10", "--dump-folder", "out"],
                                  cores: 2, isRoot: false, exportedVariables: ["MESHTOP_TELEMETRY"])
        XCTAssertEqual(plan.spec.mesh, meshShape(2, 2))
        let batch = GlobalBatch(localBatchSize: 8, gradAccum: 1, ranks: 4)
        let moved = try plan.relaunched(on: meshShape(1, 2), keeping: batch, localBatchSize: 8)
        XCTAssertEqual(moved.ranks, 2)
        var expected = plan.spec
        expected.mesh = meshShape(1, 2)
        expected.gradAccum = 2
        expected.resume = .latest
        XCTAssertEqual(moved.spec, expected, "the mesh, the accumulation and the resume change; nothing else")
        // Written out as the ranks get it (options at their defaults, like --local-batch-size 8, left out).
        XCTAssertEqual(moved.rankArguments, ["--mesh", "1x2", "--flavor", "tiny", "--grad-accum", "2", "--steps", "20",
                                             "--dump-folder", "out", "--checkpoint-dir", "/tmp/c", "--resume"])
        XCTAssertEqual(try RunOptions.specification(parsing: moved.rankArguments), moved.spec)
        XCTAssertEqual(moved.exportedVariables, plan.exportedVariables)
        XCTAssertFalse(moved.oversubscribe, "2 ranks on 2 cores")
        // Moving again (or back) gives the same arguments as moving the original.
        let back = try moved.relaunched(on: meshShape(2, 2), keeping: batch, localBatchSize: 8)
        XCTAssertEqual(back.rankArguments, ["--mesh", "2x2", "--flavor", "tiny", "--steps", "20", "--dump-folder", "out",
                                            "--checkpoint-dir", "/tmp/c", "--resume"])
        XCTAssertEqual(back.rankArguments, try plan.relaunched(on: meshShape(2, 2), keeping: batch, localBatchSize: 8).rankArguments)
    }
}
