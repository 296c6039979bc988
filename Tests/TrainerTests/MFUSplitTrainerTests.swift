import Collectives
import Mesh
import Metrics
import Model
import TestSupport
import Trainer
import XCTest

/// The trainer's own timings split each step's MFU: its GEMMs timed per lane, at no extra pass.
final class MFUSplitTrainerTests: XCTestCase {
    func testEveryStepCarriesItsGEMMsAndAnMFUSplitThatMultipliesBack() throws {
        for threads in [1, 2] {
            var config = TrainerTests.tinyConfig(steps: 2)
            config.threads = threads
            var lines: [String] = []
            let mesh = try DeviceMesh(shape: MeshShape(replicate: 1, shard: 1), world: LocalCommunicator())
            let trainer = try Trainer(config: config, mesh: mesh, log: { lines.append($0) })
            let reports = try trainer.run()
            let c = config.model, tokens = config.localBatchSize * config.seqLen
            let (d, w, h, v) = (Double(c.dim), Double(c.dim + 2 * c.kvDim), Double(c.ffnHidden), Double(c.vocabSize))
            let dense = 2 * Double(tokens) * (Double(c.nLayers) * (3 * d * w + 4 * d * d + 9 * d * h) + 3 * d * v)
            for report in reports {
                let f = report.local
                XCTAssertEqual(f.gemmFlops, dense, "threads \(threads): every dense product of the step, once")
                let gemm = try XCTUnwrap(f.seconds.gemm)
                XCTAssertGreaterThan(gemm, 0)
                XCTAssertLessThan(gemm, f.seconds.compute, "threads \(threads): the GEMMs are part of the compute")
                let split = try XCTUnwrap(f.throughput.split)
                XCTAssertEqual(100 * split.product, f.throughput.mfu, accuracy: 1e-9 * f.throughput.mfu)
                XCTAssertEqual(split.modelPerGemmFlop, trainer.flopsPerToken * Double(tokens) / dense, accuracy: 1e-12)
                XCTAssertEqual(split.notWaiting, 1, accuracy: 1e-3, "one rank waits for no peer (finishing its gradients is all)")
            }
            let stepLines = lines.filter { $0.hasPrefix("step: ") }
            XCTAssertEqual(stepLines.count, 2)
            for (line, report) in zip(stepLines, reports) {
                XCTAssertTrue(line.hasSuffix("  = " + report.local.throughput.split!.text), line)
                XCTAssertTrue(line.contains("  peak: "), line)
            }
        }
    }
}
