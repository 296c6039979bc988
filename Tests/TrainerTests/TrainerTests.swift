import CBLAS
import Collectives
import Mesh
import Model
import RunSpec
import TestSupport
import Trainer
import XCTest

/// The single-rank trainer, in process (a world of one, no MPI).
final class TrainerTests: XCTestCase {
    static func tinyConfig(steps: Int = 20, seed: UInt64 = 0) -> RunSpecification {
        var config = RunSpecification(dataPath: Products.dataFile("tinyshakespeare.txt"),
                                    tokenizerPath: Products.dataFile("tokenizer.json"))
        config.flavor = "tiny"
        config.model = .tiny
        config.seqLen = 64
        config.localBatchSize = 4
        config.steps = steps
        config.seed = seed
        config.peakTFLOPS = 0.1
        config.dumpFolder = sharedDumpFolder
        return config
    }

    static func losses(_ config: RunSpecification) throws -> [Double] {
        let mesh = try DeviceMesh(shape: MeshShape(replicate: 1, shard: 1), world: LocalCommunicator())
        return try Trainer(config: config, mesh: mesh, log: { _ in }).run().map(\.loss)
    }

    func testSameSeedGivesBitIdenticalLosses() throws {
        let a = try Self.losses(Self.tinyConfig())
        let b = try Self.losses(Self.tinyConfig())
        XCTAssertEqual(a.count, 20)
        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern))
        let other = try Self.losses(Self.tinyConfig(seed: 1))
        XCTAssertNotEqual(a, other)
    }

    func testLossFallsOnRealText() throws {
        var config = Self.tinyConfig(steps: 30)
        config.optimizer.lr = 3e-3  // the tiny model needs a larger step than the debugmodel's 8e-4 to learn in 30
        let losses = try Self.losses(config)
        // The first loss is near ln(vocab) for a fresh model; 30 steps of AdamW must cut it clearly.
        XCTAssertEqual(losses[0], log(2000), accuracy: 1.0)
        XCTAssertLessThan(losses.suffix(5).reduce(0, +) / 5, losses[0] - 1.0)
    }

    func testGradientAccumulationMatchesTheLargerBatch() throws {
        var big = Self.tinyConfig(steps: 5)
        big.localBatchSize = 4
        var accumulated = big
        accumulated.localBatchSize = 2
        accumulated.gradAccum = 2
        let a = try Self.losses(big), b = try Self.losses(accumulated)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5 * abs(x)) }
    }

    func testReportsMemoryByCategory() throws {
        let mesh = try DeviceMesh(shape: MeshShape(replicate: 1, shard: 1), world: LocalCommunicator())
        var config = Self.tinyConfig(steps: 1)
        let trainer = try Trainer(config: config, mesh: mesh, log: { _ in })
        let report = try trainer.step(0)
        let n = ModelConfig.tiny.parameterCount
        XCTAssertEqual(report.local.memory[.parameters], 4 * n)
        XCTAssertEqual(report.local.memory[.gradients], 4 * n)
        XCTAssertEqual(report.local.memory[.optimizer], 8 * n)
        XCTAssertGreaterThan(report.local.memory[.activations] ?? 0, 0)
        XCTAssertGreaterThan(report.local.peakResidentBytes, 0)
        config.gradAccum = 0
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("--grad-accum 0")) }
    }

    /// --threads: lanes of the batch with single-threaded BLAS, or OpenBLAS's threads for a batch of
    /// one sequence; two lanes train the same run as one thread, up to rounding.
    func testThreadsBecomeLanesOrBLASThreads() throws {
        defer { openblas_set_num_threads(1) }
        let mesh = try DeviceMesh(shape: MeshShape(replicate: 1, shard: 1), world: LocalCommunicator())
        var config = Self.tinyConfig(steps: 5)
        config.threads = 2
        let lanes = try Trainer(config: config, mesh: mesh, log: { _ in })
        XCTAssertEqual(lanes.model.laneCount, 2)
        XCTAssertEqual(openblas_get_num_threads(), 1)
        let twoThreads = try lanes.run().map(\.loss)
        config.threads = 1
        for (x, y) in zip(try Self.losses(config), twoThreads) { XCTAssertEqual(y, x, accuracy: 1e-5 * abs(x)) }
        config.threads = 2
        config.localBatchSize = 1
        let one = try Trainer(config: config, mesh: mesh, log: { _ in })
        XCTAssertEqual(one.model.laneCount, 1)
        XCTAssertEqual(openblas_get_num_threads(), 2)
    }
}
