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
}
