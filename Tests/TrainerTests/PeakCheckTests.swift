import Collectives
import Mesh
import Metrics
import TestSupport
import Trainer
import XCTest

/// A step that beats the peak raises it, so no reported MFU passes 100%.
final class PeakCheckTests: XCTestCase {
    func run(peakTFLOPS: Double, steps: Int) throws -> (Trainer, [StepReport], [String]) {
        var config = TrainerTests.tinyConfig(steps: steps)
        config.peakTFLOPS = peakTFLOPS
        var lines: [String] = []
        let mesh = try DeviceMesh(shape: MeshShape(replicate: 1, shard: 1), world: LocalCommunicator())
        let trainer = try Trainer(config: config, mesh: mesh, log: { lines.append($0) })
        return (trainer, try trainer.run(), lines)
    }

    func testTheFiguresOfAStepAreRescoredAgainstTheRaisedPeak() throws {
        let (_, reports, _) = try run(peakTFLOPS: 0.1, steps: 1)
        let figures = reports[0].ranks
        let flopsPerToken = TrainerTests.tinyConfig().model.flopsPerToken(seqLen: TrainerTests.tinyConfig().seqLen)
        // Any real step does more than 1 FLOP/s.
        let tiny = PeakFlops(flops: 1, source: .cached, detail: "", measuredAt: 0)
        let checked = PeakCheck.apply(step: 4, peak: tiny, ranks: figures, flopsPerToken: flopsPerToken, now: 100)
        XCTAssertEqual(checked.peak.source, .raised)
        XCTAssertEqual(checked.peak.raisedAtStep, 4)
        XCTAssertEqual(checked.peak.flops, flopsPerToken * figures[0].throughput.tokensPerSecond)
        XCTAssertTrue(checked.peak.detail.hasPrefix("step 4 of rank 0 reached "), checked.peak.detail)
        XCTAssertEqual(checked.ranks[0].throughput.mfu, 100, accuracy: 1e-9)
        // MFU's split is rescored with it: the GEMMs' share of the raised peak, the same product.
        let split = try XCTUnwrap(checked.ranks[0].throughput.split)
        XCTAssertEqual(100 * split.product, 100, accuracy: 1e-9)
        XCTAssertEqual(split.gemmOfPeak, split.gemmFlopsPerSecond / checked.peak.flops, accuracy: 1e-12)
        XCTAssertEqual(split.inGemms, try XCTUnwrap(figures[0].throughput.split).inGemms)
        // A peak nobody beats stays, and the figures are against it.
        let high = PeakFlops(flops: 1e15, source: .cached, detail: "", measuredAt: 0)
        let kept = PeakCheck.apply(step: 4, peak: high, ranks: figures, flopsPerToken: flopsPerToken, now: 100)
        XCTAssertEqual(kept.peak, high)
        XCTAssertEqual(kept.ranks[0].throughput.mfu, 100 * flopsPerToken * figures[0].throughput.tokensPerSecond / 1e15,
                       accuracy: 1e-12)
    }

    func testATrainerWhoseStepsBeatThePeakReportsAtMost100Percent() throws {
        // 1,000 FLOP/s: the first step beats it by far.
        let (trainer, reports, lines) = try run(peakTFLOPS: 1e-9, steps: 3)
        XCTAssertTrue(reports[0].peakChanged)
        XCTAssertEqual(trainer.peak.source, .raised)
        for report in reports {
            XCTAssertLessThanOrEqual(report.local.throughput.mfu, 100 + 1e-9, "step \(report.step)")
            // The step that raised the peak scores exactly 100%, which mfu * peak / 100 gives back
            // to within a rounding of the last bit.
            XCTAssertLessThanOrEqual(report.local.throughput.mfu * (report.peak?.flops ?? 0) / 100,
                                     (report.peak?.flops ?? 0) * (1 + 1e-12), "step \(report.step) is scored against the peak it reports")
        }
        XCTAssertEqual(reports.last?.peak, trainer.peak)
        XCTAssertEqual(reports[0].local.throughput.mfu, 100, accuracy: 1e-9)
        XCTAssertTrue(lines.contains { $0.hasPrefix("Peak FLOPS source: raised at step 1 (step 1 of rank 0 reached ") }, "\(lines)")
        let stepLines = lines.filter { $0.hasPrefix("step: ") }
        XCTAssertEqual(stepLines.count, 3)
        XCTAssertTrue(stepLines[0].contains("  mfu: 100.00%  peak: "), stepLines[0])
        XCTAssertTrue(stepLines[0].contains(" raised at step 1  = gemm "), stepLines[0])
    }
}
