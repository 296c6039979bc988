import CBLAS
import Memory
import Model
import ModelShape
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A batch cut into lanes that run at once on their own threads is the same computation as the
/// whole batch on one: the same loss and gradients up to float rounding, the hooks called in the
/// same order, on the caller's thread, after each unit's gradients of every lane are added up.
final class LaneTests: XCTestCase {
    override func setUp() { openblas_set_num_threads(1) }
    /// The ledgers own the models' memory: kept for the test's life.
    private var ledgers: [MemoryLedger] = []

    /// Tiny model, batch 3 x seq 8 (so two lanes split it unevenly, 1 + 2), weights scaled up so
    /// attention and the FFN are far from linear.
    private func makeModel(lanes: Int, budget: Int = 0) throws -> Llama {
        let saved = Llama.attentionProbabilityBudgetBytes
        Llama.attentionProbabilityBudgetBytes = budget
        defer { Llama.attentionProbabilityBudgetBytes = saved }
        ledgers.append(MemoryLedger())
        let model = try Llama(config: .tiny, batchSize: 3, seqLen: 8, ledger: ledgers.last!, lanes: lanes)
        Initializer.initialize(model.parameters, layout: model.layout, seed: 5)
        for t in model.layout.tensors where t.name.hasPrefix("layers.") && !t.name.hasSuffix("norm.weight") {
            for i in t.offset..<(t.offset + t.count) { model.parameters[i] *= 8 }
        }
        return model
    }

    private let tokens: [Int32] = (0..<25).map { Int32(($0 * 7919 + 13) % 2000) }

    private func step(_ model: Llama, hooks: StepHooks? = nil, backwards: Int = 1) -> (Float, [Float], [Float]) {
        let inputs = Array(tokens[0..<24]), targets = Array(tokens[1...24])
        func forward() -> Float {
            inputs.withUnsafeBufferPointer { i in
                targets.withUnsafeBufferPointer { model.forward(inputs: i, targets: $0, hooks: hooks) }
            }
        }
        model.zeroGradients()
        var loss: Float = 0
        for _ in 0..<backwards {   // micro-batches of the same data, accumulated
            loss = forward()
            model.backward(lossScale: 1 / Float(backwards), hooks: hooks)
        }
        return (loss, Array(model.tokenLosses), Array(model.gradients))
    }

    private func assertClose(_ a: [Float], _ b: [Float], _ what: String) {
        let scale = a.map { abs($0) }.max()!
        XCTAssertGreaterThan(scale, 0, what)
        var worst: Float = 0
        for i in a.indices { worst = max(worst, abs(a[i] - b[i]) / (1e-5 * scale)) }
        XCTAssertLessThanOrEqual(worst, 1, "\(what) differ beyond 1e-5 of the largest")
    }

    func testLanesComputeWhatOneLaneDoes() throws {
        for budget in [0, 1 << 30] {   // probabilities recomputed, and kept
            let (loss, tokenLosses, gradients) = step(try makeModel(lanes: 1, budget: budget))
            for lanes in [2, 3] {
                let model = try makeModel(lanes: lanes, budget: budget)
                XCTAssertEqual(model.laneCount, lanes)
                let (l, t, g) = step(model)
                XCTAssertEqual(l, loss, accuracy: 1e-6 * loss, "\(lanes) lanes")
                assertClose(tokenLosses, t, "\(lanes) lanes' token losses")
                assertClose(gradients, g, "\(lanes) lanes' gradients")
                let (_, _, twice) = step(model, backwards: 2)   // gradient accumulation adds up across lanes too
                assertClose(gradients, twice, "\(lanes) lanes' two half backwards")
            }
        }
    }

    /// Records the hooks. When it "changes bindings" it acts like FSDP with resharding: a unit's
    /// parameters exist only between its will- and did- hooks, in a slot the hooks fill from the
    /// model's own copy and then fill with NaN, so a lane that ran ahead of or behind lane 0's hook
    /// reads NaN.
    final class Recorder: StepHooks {
        let model: Llama
        /// false: hooks that only read gradients (replicate's), which lane 0 calls without the others waiting
        let changesBindings: Bool
        let caller = pthread_self()
        var events: [String] = []
        var offThread = 0
        /// Each unit's bound gradients as its didBackward saw them.
        var seen: [Int: [Float]] = [:]
        private var slots: [UnsafeMutablePointer<Float>] = []

        init(model: Llama, changesBindings: Bool) {
            self.model = model
            self.changesBindings = changesBindings
            guard changesBindings else { return }
            for (u, unit) in model.layout.units.enumerated() {
                let slot = UnsafeMutablePointer<Float>.allocate(capacity: unit.range.count)
                slot.initialize(repeating: .nan, count: unit.range.count)
                slots.append(slot)
                model.bind(unit: u, parameters: slot, gradients: model.gradients.baseAddress! + unit.range.lowerBound)
            }
        }
        deinit { slots.forEach { $0.deallocate() } }

        private func record(_ event: String) {
            events.append(event)
            if pthread_equal(pthread_self(), caller) == 0 { offThread += 1 }
        }
        private func gather(_ u: Int) {
            guard changesBindings else { return }
            let range = model.layout.units[u].range
            slots[u].update(from: model.parameters.baseAddress! + range.lowerBound, count: range.count)
        }
        private func reshard(_ u: Int) {
            guard changesBindings else { return }
            slots[u].update(repeating: .nan, count: model.layout.units[u].range.count)
        }
        func willForward(unit: Int) { record("wf\(unit)"); gather(unit) }
        func didForward(unit: Int) { record("df\(unit)"); reshard(unit) }
        func willBackward(unit: Int) { record("wb\(unit)"); gather(unit) }
        func didBackward(unit: Int) {
            record("db\(unit)")
            seen[unit] = Array(model.gradients[model.layout.units[unit].range])
            reshard(unit)
        }
    }

    func testHooksRunOnTheCallerAfterEveryLanesGradientsAreIn() throws {
        let (loss, _, reference) = step(try makeModel(lanes: 1))
        for waits in [true, false] {
            let model = try makeModel(lanes: 2)
            let recorder = Recorder(model: model, changesBindings: waits)
            let (l, _, gradients) = step(model, hooks: recorder)
            XCTAssertEqual(l, loss, accuracy: 1e-6 * loss, "rebinding \(waits)")
            assertClose(reference, gradients, "gradients with hooks (rebinding \(waits))")
            let units = model.layout.units
            let expected = (0..<units.count).flatMap { ["wf\($0)", "df\($0)"] }
                + (0..<units.count).reversed().flatMap { ["wb\($0)", "db\($0)"] }
            XCTAssertEqual(recorder.events, expected)
            XCTAssertEqual(recorder.offThread, 0, "hooks were called off the caller's thread")
            for (u, unit) in units.enumerated() {
                XCTAssertEqual(recorder.seen[u], Array(gradients[unit.range]), "unit \(u) was incomplete at its didBackward")
            }
        }
    }

    func testLaneCountRule() throws {
        XCTAssertEqual(ModelSizes.laneCount(threads: 1, batchSize: 8), 1)
        XCTAssertEqual(ModelSizes.laneCount(threads: 2, batchSize: 8), 2)
        XCTAssertEqual(ModelSizes.laneCount(threads: 4, batchSize: 3), 3)
        XCTAssertEqual(ModelSizes.laneCount(threads: 2, batchSize: 1), 1)
        XCTAssertThrowsError(try Llama(config: .tiny, batchSize: 2, seqLen: 8, ledger: MemoryLedger(), lanes: 3)) {
            XCTAssertTrue("\($0)".contains("lanes must be in 1...2"), "\($0)")
        }
    }
}
