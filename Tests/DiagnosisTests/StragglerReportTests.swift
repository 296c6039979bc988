import Diagnosis
import RunSpec
import Telemetry
import XCTest

/// Who is slow and why, from per-rank compute and the peers' waits by axis and collective.
final class StragglerReportTests: XCTestCase {
    private let mesh = try! MeshShape(replicate: 2, shard: 2)

    private func rank(_ r: Int, compute: Double, data: Double = 0.001, waits: [String: [String: Double]] = [:]) -> RankStep {
        let wait = waits.values.flatMap(\.values).reduce(0, +)
        return RankStep(rank: r, tokens: 256, seconds: StepSeconds(total: 0.3, data: data, compute: compute, communication: wait, optimizer: 0.01),
                        tokensPerSecond: 1000, tflops: 0.01, mfu: 10, communication: [:], memory: [:], residentBytes: 0,
                        peakResidentBytes: 0, waits: waits)
    }

    private func step(_ n: Int, _ ranks: [RankStep]) -> Step { Step(step: n, loss: 5, gradNorm: 1, lr: 1e-3, ranks: ranks) }

    /// Rank 3's compute twice the others'; its row's other rank (2) waits in all-gather for it.
    private func slowRank3(_ n: Int) -> Step {
        step(n, [rank(0, compute: 0.1, waits: ["replicate": ["all_reduce": 0.02]]),
                 rank(1, compute: 0.1, waits: ["replicate": ["all_reduce": 0.03]]),
                 rank(2, compute: 0.1, waits: ["shard": ["all_gather": 0.09, "reduce_scatter": 0.01]]),
                 rank(3, compute: 0.2, waits: ["shard": ["all_gather": 0.001]])])
    }

    func testASlowRankIsNamedWithTheGroupAndCollectiveThatWaitForIt() {
        let report = StragglerReport(mesh: mesh, steps: (1 ... 3).map(slowRank3))
        XCTAssertEqual(report.straggler?.rank, 3)
        XCTAssertEqual(report.straggler?.cause, .compute)
        XCTAssertEqual(report.line, "rank 3: compute 2.0x the median; shard group 1 waits 90 ms a step in all-gather for it")
        XCTAssertEqual(report.rows.map(\.group), [0, 1])
        XCTAssertEqual(report.rows[1].compute, 0.15, accuracy: 1e-12)
        XCTAssertEqual(report.columns[1].compute, 0.15, accuracy: 1e-12, "column 1 holds ranks 1 and 3")
        XCTAssertEqual(report.columns[0].wait, (0.02 + 0.10) / 2, accuracy: 1e-12)
    }

    func testEvenRanksHaveNoStragglerAndOneSlowStepIsNotEnough() {
        let even = step(1, (0 ..< 4).map { rank($0, compute: 0.1 + 0.002 * Double($0)) })
        XCTAssertNil(StragglerReport(mesh: mesh, steps: [even, even, even]).straggler)
        XCTAssertNil(StragglerReport(mesh: mesh, steps: [even, slowRank3(2), even]).straggler, "the median of three steps")
    }

    func testSlowDataIsNamedAsData() {
        let steps = (1 ... 3).map { n in step(n, (0 ..< 4).map { rank($0, compute: 0.1, data: $0 == 1 ? 0.08 : 0.001) }) }
        XCTAssertEqual(StragglerReport(mesh: mesh, steps: steps).straggler?.cause, .data)
        XCTAssertEqual(StragglerReport(mesh: mesh, steps: steps).straggler?.rank, 1)
    }

    func testTheWatchSaysWhenTheNamedRankChangesOnly() {
        var watch = StragglerWatch()
        watch.hello(mesh)
        let even = { (n: Int) in self.step(n, (0 ..< 4).map { self.rank($0, compute: 0.1) }) }
        XCTAssertNil(watch.step(even(1)))
        XCTAssertNil(watch.step(slowRank3(2)), "one slow step of three")
        XCTAssertEqual(watch.step(slowRank3(3)), "straggler at step 3: rank 3: compute 2.0x the median; shard group 1 waits 90 ms a step in all-gather for it")
        XCTAssertNil(watch.step(slowRank3(4)), "said once")
        XCTAssertNil(watch.step(even(5)))
        XCTAssertEqual(watch.step(even(6)), "no straggler from step 6 (rank 3 keeps up again)")
    }
}

extension StragglerReportTests {
    func testThePanelsShortLineSaysTheSame() {
        let report = StragglerReport(mesh: mesh, steps: (1 ... 3).map(slowRank3))
        XCTAssertEqual(report.shortLine, "straggler r3: compute 2.0x; shard group 1 waits 90 ms/step in all-gather")
    }
}
