import Memory
import Model
import Planner
import XCTest

/// The model's own buffers, predicted and then really allocated: the planner's activations and
/// scratch match what a Llama records in its ledger (the trainer adds its two batch buffers).
final class ModelLedgerTests: XCTestCase {
    func testPredictionMatchesARealModelsLedger() throws {
        let shapes: [(ModelConfig, Int, Int)] = [(.tiny, 2, 32), (.tiny, 3, 100), (.debugmodel, 1, 64)]
        for (config, batch, seqLen) in shapes {
            let workload = Workload(model: config, localBatchSize: batch, seqLen: seqLen)
            let ledger = MemoryLedger()
            let model = try Llama(config: config, batchSize: batch, seqLen: seqLen, ledger: ledger)
            let batchBuffers = 2 * 4 * batch * seqLen
            let label = "\(config.dim)/\(batch)x\(seqLen)"
            XCTAssertEqual(ledger.bytes(.activations) + batchBuffers, MemoryPrediction.activations(workload), label)
            XCTAssertEqual(ledger.bytes(.scratch), MemoryPrediction.scratch(workload), label)
            XCTAssertEqual(ledger.bytes(.parameters), 4 * model.layout.count, label)
        }
    }
}
