import Memory
import Mesh
import Model
import ModelShape
import Planner
import RunSpec
import XCTest

/// The model's own buffers, predicted and then really allocated: the planner's activations and
/// scratch match what a Llama records in its ledger (the trainer adds its two batch buffers).
final class ModelLedgerTests: XCTestCase {
    func testPredictionMatchesARealModelsLedger() throws {
        // (model, batch, seq_len, threads): one lane, and lanes of equal and of unequal batches
        let shapes: [(ModelConfig, Int, Int, Int)] = [(.tiny, 2, 32, 1), (.tiny, 3, 100, 1), (.debugmodel, 1, 64, 1),
                                                      (.tiny, 4, 32, 2), (.tiny, 3, 100, 2), (.debugmodel, 3, 64, 3)]
        for (config, batch, seqLen, threads) in shapes {
            let workload = Workload(model: config, localBatchSize: batch, seqLen: seqLen, threads: threads)
            let ledger = MemoryLedger()
            let model = try Llama(config: config, batchSize: batch, seqLen: seqLen, ledger: ledger,
                                  lanes: ModelSizes.laneCount(threads: threads, batchSize: batch))
            let batchBuffers = 2 * 4 * batch * seqLen
            let label = "\(config.dim)/\(batch)x\(seqLen)/\(threads) threads"
            XCTAssertEqual(ledger.bytes(.activations) + batchBuffers, MemoryPrediction.activations(workload), label)
            XCTAssertEqual(ledger.bytes(.scratch), MemoryPrediction.scratch(workload), label)
            XCTAssertEqual(ledger.bytes(.parameters), 4 * model.layout.count, label)
            XCTAssertEqual(ledger.bytes(.gradients), MemoryPrediction.ledger(workload, mesh: try MeshShape(replicate: 1, shard: 1))[.gradients],
                           label)
        }
    }

    /// Past the kept projections' budget the feed-forward is recomputed: the prediction follows,
    /// for one lane and for two.
    func testPredictionFollowsARecomputedFeedForward() throws {
        let saved = ModelSizes.keptProjectionBudgetBytes
        defer { ModelSizes.keptProjectionBudgetBytes = saved }
        for threads in [1, 2] {
            let workload = Workload(model: .tiny, localBatchSize: 4, seqLen: 32, threads: threads)
            var predicted: [Int] = []
            for budget in [1 << 30, 0] {
                ModelSizes.keptProjectionBudgetBytes = budget
                let ledger = MemoryLedger()
                let model = try Llama(config: .tiny, batchSize: 4, seqLen: 32, ledger: ledger, lanes: threads)
                XCTAssertEqual(model.recomputesFeedForward, budget == 0)
                XCTAssertEqual(ledger.bytes(.activations) + 2 * 4 * 4 * 32, MemoryPrediction.activations(workload), "budget \(budget)")
                XCTAssertEqual(ledger.bytes(.scratch), MemoryPrediction.scratch(workload), "budget \(budget)")
                predicted.append(MemoryPrediction.activations(workload) + MemoryPrediction.scratch(workload))
            }
            let c = ModelConfig.tiny, n = 4 * 32
            XCTAssertEqual(predicted[0] - predicted[1], 4 * 2 * n * c.ffnHidden * (c.nLayers - 1), "\(threads) lane(s)")
        }
    }
}
