import CBLAS
import Memory
import Model
import ModelShape
import RunSpec
import XCTest

final class ConfigTests: XCTestCase {
    func testDebugmodelParameterCountAndLayout() throws {
        let c = ModelConfig.debugmodel
        XCTAssertEqual(c.parameterCount, 6_139_136)
        XCTAssertEqual(c.embeddingParameterCount, 512_000)
        let layout = ParameterLayout(config: c)
        XCTAssertEqual(layout.count, 6_139_136)
        XCTAssertEqual(layout.tensors.reduce(0) { $0 + $1.count }, 6_139_136)
        var expected = ["tok_embeddings.weight"]
        for i in 0..<6 {
            expected += ["attention.wq", "attention.wk", "attention.wv", "attention.wo",
                         "feed_forward.w1", "feed_forward.w2", "feed_forward.w3"].map { "layers.\(i).\($0).weight" }
            expected += ["layers.\(i).attention_norm.weight", "layers.\(i).ffn_norm.weight"]
        }
        expected += ["norm.weight", "output.weight"]
        XCTAssertEqual(layout.tensors.map(\.name), expected)
        XCTAssertEqual(layout.tensor(named: "layers.3.feed_forward.w2.weight")?.shape, [256, 768])
        XCTAssertEqual(layout.tensor(named: "layers.0.feed_forward.w1.weight")?.shape, [768, 256])
        XCTAssertEqual(layout.tensor(named: "output.weight")?.shape, [2000, 256])
        XCTAssertEqual(layout.tensor(named: "tok_embeddings.weight")?.shape, [2000, 256])
        XCTAssertNil(layout.tensor(named: "layers.6.attention.wq.weight"))
        XCTAssertEqual(layout.units.map(\.name), ["tok_embeddings"] + (0..<6).map { "layers.\($0)" } + ["norm+output"])
        var next = 0
        for (u, unit) in layout.units.enumerated() {
            XCTAssertEqual(unit.range.lowerBound, next, "unit \(u) not contiguous")
            var inner = unit.range.lowerBound
            for t in unit.tensors {
                let tensor = layout.tensors[t]
                XCTAssertEqual(tensor.unit, u); XCTAssertEqual(tensor.offset, inner)
                XCTAssertEqual(tensor.count, tensor.shape.reduce(1, *))
                inner += tensor.count
            }
            XCTAssertEqual(inner, unit.range.upperBound)
            next = unit.range.upperBound
        }
        XCTAssertEqual(next, layout.count)
        XCTAssertEqual(layout.units[1].range.count, 852_480)
    }

    func testFFNRoundingAndFlops() throws {
        XCTAssertEqual(ModelConfig.debugmodel.ffnHidden, 768)   // int(2 * 1024 / 3) = 682 -> 768
        XCTAssertEqual(ModelConfig.debugmodel.headDim, 16)
        XCTAssertEqual(ModelConfig.debugmodel.kvHeads, 16)
        var c = ModelConfig.debugmodel
        c.ffnDimMultiplier = 1.3   // int(1.3 * 682) = 886 -> 1024
        XCTAssertEqual(c.ffnHidden, 1024)
        // 6 * (6,139,136 - 512,000) + 6 * 6 layers * 16 heads * (2 * 16) * seq_len
        XCTAssertEqual(ModelConfig.debugmodel.flopsPerToken(seqLen: 256), 33_762_816 + 4_718_592)
        XCTAssertEqual(ModelConfig.debugmodel.flopsPerToken(seqLen: 2048), 33_762_816 + 37_748_736)
        XCTAssertEqual(ModelConfig.debugmodel.flopsPerToken(seqLen: 2048), 71_511_552)
    }

    func testFlavorsAndValidation() throws {
        XCTAssertEqual(try ModelConfig.flavor("debugmodel"), .debugmodel)
        XCTAssertEqual(try ModelConfig.flavor("tiny"), .tiny)
        XCTAssertThrowsError(try ModelConfig.flavor("llama8b")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("llama8b") && text.contains("debugmodel") && text.contains("tiny"), text)
        }
        XCTAssertNoThrow(try ModelConfig.debugmodel.validate())
        XCTAssertNoThrow(try ModelConfig.tiny.validate())
        XCTAssertEqual(ModelConfig.tiny.kvHeads, 2)
        var c = ModelConfig.debugmodel; c.dim = 250
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("dim") && "\($0)".contains("250"), "\($0)") }
        c = .debugmodel; c.nKVHeads = 5
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("n_kv_heads") && "\($0)".contains("5"), "\($0)") }
        c = .debugmodel; c.nHeads = 32; c.dim = 96   // headDim 3
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("head width"), "\($0)") }
        c = .debugmodel; c.nLayers = 0
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("n_layers"), "\($0)") }
        // Codable round trip
        let data = try JSONEncoder().encode(ModelConfig.tiny)
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: data), .tiny)
    }
}

final class InitializerTests: XCTestCase {
    func testDeterminismAndScheme() {
        let layout = ParameterLayout(config: .debugmodel)
        let a = UnsafeMutableBufferPointer<Float>.allocate(capacity: layout.count)
        let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: layout.count)
        defer { a.deallocate(); b.deallocate() }
        Initializer.initialize(a, layout: layout, seed: 7)
        Initializer.initialize(b, layout: layout, seed: 7)
        XCTAssertEqual(memcmp(a.baseAddress!, b.baseAddress!, layout.count * 4), 0, "same seed must be bit-identical")
        Initializer.initialize(b, layout: layout, seed: 8)
        for name in ["tok_embeddings.weight", "layers.0.attention.wq.weight", "output.weight"] {
            let t = layout.tensor(named: name)!
            XCTAssertNotEqual(memcmp(a.baseAddress! + t.offset, b.baseAddress! + t.offset, t.count * 4), 0, "\(name) same for seeds 7 and 8")
        }
        func stats(_ name: String) -> (mean: Double, std: Double, maxAbs: Double) {
            let t = layout.tensor(named: name)!
            var s = 0.0, s2 = 0.0, m = 0.0
            for i in t.offset..<(t.offset + t.count) { let v = Double(a[i]); s += v; s2 += v * v; m = max(m, abs(v)) }
            let mean = s / Double(t.count)
            return (mean, (s2 / Double(t.count) - mean * mean).squareRoot(), m)
        }
        func check(_ name: String, std expected: Double, tolerance: Double = 0.03, file: StaticString = #filePath, line: UInt = #line) {
            let s = stats(name)
            XCTAssertEqual(s.std, expected, accuracy: tolerance * expected, "\(name) std", file: file, line: line)
            XCTAssertEqual(s.mean, 0, accuracy: 0.05 * expected, "\(name) mean", file: file, line: line)
        }
        check("tok_embeddings.weight", std: 1.0)
        check("layers.0.attention.wq.weight", std: 0.02)
        check("layers.0.feed_forward.w1.weight", std: 0.02)
        check("layers.0.attention.wo.weight", std: 0.02 / 2.0.squareRoot())
        check("layers.2.feed_forward.w2.weight", std: 0.02 / 6.0.squareRoot())
        check("layers.5.feed_forward.w3.weight", std: 0.02 / 12.0.squareRoot())
        // output: trunc_normal(std dim^-0.5) cut at +-3 std: the std of the cut normal is 0.98657 * dim^-0.5
        check("output.weight", std: 0.98657 / 16)
        XCTAssertLessThanOrEqual(stats("output.weight").maxAbs, 3.0 / 16)
        XCTAssertGreaterThan(stats("output.weight").maxAbs, 2.8 / 16)
        for name in ["layers.1.attention_norm.weight", "layers.4.ffn_norm.weight", "norm.weight"] {
            let t = layout.tensor(named: name)!
            XCTAssertTrue((t.offset..<(t.offset + t.count)).allSatisfy { a[$0] == 1 }, name)
        }
    }
}

final class LlamaTests: XCTestCase {
    override func setUp() { openblas_set_num_threads(1) }

    struct Fixture {
        let model: Llama
        let inputs: [Int32]
        let targets: [Int32]
        let ledger: MemoryLedger
        func forward(_ hooks: StepHooks? = nil) -> Float {
            inputs.withUnsafeBufferPointer { i in targets.withUnsafeBufferPointer { t in model.forward(inputs: i, targets: t, hooks: hooks) } }
        }
    }

    /// Tiny model, batch 2 x seq 8; attention in blocks of 3 query rows so the model exercises partial blocks.
    func makeTiny(seed: UInt64 = 11, blockRows: Int = 3, perturbNorms: Bool = true, keepProbabilities: Bool = true,
                  recomputeFeedForward: Bool = false) throws -> Fixture {
        let saved = Kernels.attentionBlockRows, savedBudget = Llama.attentionProbabilityBudgetBytes
        let savedProjections = Llama.keptProjectionBudgetBytes
        Kernels.attentionBlockRows = blockRows
        Llama.attentionProbabilityBudgetBytes = keepProbabilities ? 1 << 30 : 0
        Llama.keptProjectionBudgetBytes = recomputeFeedForward ? 0 : 1 << 30
        defer {
            Kernels.attentionBlockRows = saved; Llama.attentionProbabilityBudgetBytes = savedBudget
            Llama.keptProjectionBudgetBytes = savedProjections
        }
        let ledger = MemoryLedger()
        let model = try Llama(config: .tiny, batchSize: 2, seqLen: 8, ledger: ledger)
        XCTAssertEqual(model.keepsAttentionProbabilities, keepProbabilities)
        XCTAssertEqual(model.recomputesFeedForward, recomputeFeedForward)
        Initializer.initialize(model.parameters, layout: model.layout, seed: seed)
        var rng = TestRandom(seed)
        if perturbNorms {   // norm weights away from 1 so their gradients and their use are both tested
            for t in model.layout.tensors where t.name.hasSuffix("norm.weight") {
                for i in t.offset..<(t.offset + t.count) { model.parameters[i] = 1 + 0.3 * rng.uniform() }
            }
        }
        // Larger weights than the init (0.02) so attention and the FFN are far from linear.
        for t in model.layout.tensors where t.name.hasPrefix("layers.") && !t.name.hasSuffix("norm.weight") {
            for i in t.offset..<(t.offset + t.count) { model.parameters[i] *= 8 }
        }
        let tokens = rng.tokens(2 * 8 + 1, vocab: 2000)
        return Fixture(model: model, inputs: Array(tokens[0..<16]), targets: Array(tokens[1...16]), ledger: ledger)
    }

    /// The acceptance check: every parameter tensor of the tiny model against double-precision central differences
    /// of an independent double re-implementation of the whole forward (Ref.loss).
    func testTinyModelGradientsAllTensors() throws {
        try checkTinyModelGradients(keepProbabilities: true)
    }

    /// The same with the attention probabilities recomputed in the backward (the long-sequence path).
    func testTinyModelGradientsRecomputingAttention() throws {
        try checkTinyModelGradients(keepProbabilities: false)
    }

    /// The same with the feed-forward's w1 and w3 computed again in the backward (long sequences):
    /// against the reference, and bit for bit the gradients and loss of keeping them, with 2 L n hidden
    /// floats fewer kept and one layer's worth of scratch more.
    func testTinyModelGradientsRecomputingTheFeedForward() throws {
        try checkTinyModelGradients(keepProbabilities: false, recomputeFeedForward: true)
        let kept = try makeTiny(keepProbabilities: false), recomputed = try makeTiny(keepProbabilities: false, recomputeFeedForward: true)
        var losses: [Float] = [], gradients: [[Float]] = []
        for f in [kept, recomputed] {
            losses.append(f.forward())
            f.model.zeroGradients()
            f.model.backward(lossScale: 1, hooks: nil)
            gradients.append(Array(f.model.gradients))
        }
        XCTAssertEqual(losses[0], losses[1])
        XCTAssertEqual(gradients[0], gradients[1], "recomputed products are the forward's own")
        let c = ModelConfig.tiny, n = 2 * 8
        XCTAssertEqual(kept.ledger.bytes(.activations) - recomputed.ledger.bytes(.activations), 4 * 2 * c.nLayers * n * c.ffnHidden)
        XCTAssertEqual(recomputed.ledger.bytes(.scratch) - kept.ledger.bytes(.scratch), 4 * 2 * n * c.ffnHidden)
    }

    func checkTinyModelGradients(keepProbabilities: Bool, recomputeFeedForward: Bool = false) throws {
        let f = try makeTiny(keepProbabilities: keepProbabilities, recomputeFeedForward: recomputeFeedForward)
        let model = f.model, c = model.config
        let loss = f.forward()
        let p = Array(model.parameters).doubles
        let ref = Ref.loss(parameters: p, config: c, layout: model.layout, inputs: f.inputs, targets: f.targets, batch: 2, seqLen: 8)
        XCTAssertEqual(Double(loss), ref, accuracy: 1e-5 * ref, "float forward vs double reference")
        model.zeroGradients()
        model.backward(lossScale: 1, hooks: nil)
        let g = Array(model.gradients)
        var rng = TestRandom(99)
        XCTAssertEqual(model.layout.tensors.count, 1 + 9 * c.nLayers + 2)
        for t in model.layout.tensors {
            var idx: [Int]
            if t.name == "tok_embeddings.weight" {   // only rows of input tokens have gradients
                idx = (0..<8).map { _ in Int(f.inputs[rng.int(f.inputs.count)]) * c.dim + rng.int(c.dim) }
            } else {
                idx = sampleIndices(t.count, 8, &rng)
            }
            let analytic = Array(g[t.offset..<(t.offset + t.count)])
            assertGradient(t.name, analytic: analytic, indices: idx) { j in
                Ref.finiteDifference(p, t.offset + j) {
                    Ref.loss(parameters: $0, config: c, layout: model.layout, inputs: f.inputs, targets: f.targets, batch: 2, seqLen: 8)
                }
            }
        }
    }

    /// Changing input token t+1 changes no prediction at positions <= t (in either sequence of the batch).
    func testModelCausalMask() throws {
        let f = try makeTiny()
        _ = f.forward()
        let T = 8, V = f.model.config.vocabSize
        let base = Array(f.model.tokenLosses)
        for t in [0, 2, 5] {
            var inputs = f.inputs
            for b in 0..<2 { inputs[b * T + t + 1] = (inputs[b * T + t + 1] + 1) % Int32(V) }
            _ = inputs.withUnsafeBufferPointer { i in f.targets.withUnsafeBufferPointer { f.model.forward(inputs: i, targets: $0, hooks: nil) } }
            let now = Array(f.model.tokenLosses)
            for b in 0..<2 {
                let early = (b * T)..<(b * T + t + 1)
                XCTAssertEqual(Array(now[early]), Array(base[early]), "batch \(b): positions <= \(t) changed")
                XCTAssertNotEqual(now[b * T + t + 1], base[b * T + t + 1], "batch \(b): position \(t + 1) did not change")
            }
        }
    }

    final class Recorder: StepHooks {
        var events: [String] = []
        func willForward(unit: Int) { events.append("wf\(unit)") }
        func didForward(unit: Int) { events.append("df\(unit)") }
        func willBackward(unit: Int) { events.append("wb\(unit)") }
        func didBackward(unit: Int) { events.append("db\(unit)") }
    }

    func testBindAndHooks() throws {
        let f = try makeTiny()
        let model = f.model, units = model.layout.units
        let recorder = Recorder()
        let loss = f.forward(recorder)
        model.zeroGradients()
        model.backward(lossScale: 1, hooks: recorder)
        let expectedForward = (0..<units.count).flatMap { ["wf\($0)", "df\($0)"] }
        let expectedBackward = (0..<units.count).reversed().flatMap { ["wb\($0)", "db\($0)"] }
        XCTAssertEqual(recorder.events, expectedForward + expectedBackward)
        let reference = Array(model.gradients)
        for k in [0, 1, units.count - 1] {
            let range = units[k].range
            let p = UnsafeMutablePointer<Float>.allocate(capacity: range.count)
            let g = UnsafeMutablePointer<Float>.allocate(capacity: range.count)
            defer { p.deallocate(); g.deallocate() }
            p.initialize(from: model.parameters.baseAddress! + range.lowerBound, count: range.count)
            g.initialize(repeating: 0, count: range.count)
            // scribble over the model's own copy: the bound buffer must be what forward reads
            let own = model.parameters.baseAddress! + range.lowerBound
            let ownSaved = Array(UnsafeBufferPointer(start: own, count: range.count))
            own.update(repeating: 0.5, count: range.count)
            model.bind(unit: k, parameters: p, gradients: g)
            model.gradients.update(repeating: 0)
            XCTAssertEqual(f.forward(), loss, "unit \(k) bound elsewhere")
            model.backward(lossScale: 1, hooks: nil)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: g, count: range.count)), Array(reference[range]), "unit \(k) gradients")
            XCTAssertTrue(model.gradients[range].allSatisfy { $0 == 0 }, "unit \(k): gradients went to the unbound buffer")
            own.update(from: ownSaved, count: range.count)
            model.bind(unit: k, parameters: own, gradients: model.gradients.baseAddress! + range.lowerBound)
        }
        XCTAssertEqual(f.forward(), loss)
    }

    func testGradientAccumulation() throws {
      for keep in [true, false] {
        let f = try makeTiny(keepProbabilities: keep)
        let model = f.model
        _ = f.forward()
        model.zeroGradients()
        model.backward(lossScale: 1, hooks: nil)
        let once = Array(model.gradients)
        model.zeroGradients()
        for _ in 0..<2 {   // two micro-batches of the same data at half the scale each
            _ = f.forward()
            model.backward(lossScale: 0.5, hooks: nil)
        }
        let twice = Array(model.gradients)
        let scale = once.map { abs($0) }.max()!
        XCTAssertGreaterThan(scale, 0)
        var worst: Float = 0
        for i in 0..<once.count { worst = max(worst, abs(once[i] - twice[i]) / (1e-5 * scale + 1e-5 * abs(once[i]))) }
        XCTAssertLessThanOrEqual(worst, 1, "two half-scale backwards differ from one full backward (keep \(keep))")
      }
    }

    /// Two BLAS threads (and two workers for the attention and element-wise kernels) give the same loss and
    /// gradients as one, up to float rounding.
    func testTwoThreads() throws {
        let f = try makeTiny()
        let loss1 = f.forward()
        f.model.zeroGradients()
        f.model.backward(lossScale: 1, hooks: nil)
        let g1 = Array(f.model.gradients)
        openblas_set_num_threads(2)
        defer { openblas_set_num_threads(1) }
        let loss2 = f.forward()
        XCTAssertEqual(Kernels.workers, 2)
        f.model.zeroGradients()
        f.model.backward(lossScale: 1, hooks: nil)
        let g2 = Array(f.model.gradients)
        XCTAssertEqual(loss1, loss2, accuracy: 1e-6 * loss1)
        let scale = g1.map { abs($0) }.max()!
        for i in 0..<g1.count { XCTAssertEqual(g1[i], g2[i], accuracy: 1e-5 * scale, "gradient \(i)") }
    }

    func testNoParametersUntilBound() throws {
        let ledger = MemoryLedger()
        let model = try Llama(config: .tiny, batchSize: 1, seqLen: 4, ledger: ledger, allocateParameters: false)
        XCTAssertEqual(model.parameters.count, 0)
        XCTAssertEqual(ledger.bytes(.parameters), 0)
        XCTAssertEqual(ledger.bytes(.gradients), 0)
        XCTAssertGreaterThan(ledger.bytes(.activations), 0)
        XCTAssertThrowsError(try Llama(config: .tiny, batchSize: 1, seqLen: 10_000, ledger: ledger))
    }
}
