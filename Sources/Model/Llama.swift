import Memory
import CBLAS

/// Called around each unit so data parallelism can gather parameters (FSDP) or start gradient
/// all-reduces (replicate) at the right moment. All methods have empty default implementations.
public protocol StepHooks: AnyObject {
    func willForward(unit: Int)
    func didForward(unit: Int)
    func willBackward(unit: Int)
    /// Backward visits units from last to first.
    func didBackward(unit: Int)
}

public extension StepHooks {
    func willForward(unit: Int) {}
    func didForward(unit: Int) {}
    func willBackward(unit: Int) {}
    func didBackward(unit: Int) {}
}

public struct ModelError: Error, CustomStringConvertible {
    public let description: String
}

/// The Llama-3 decoder: forward and backward over buffers allocated once, in init, through the ledger.
public final class Llama {
    public let config: ModelConfig
    public let layout: ParameterLayout
    public let batchSize: Int
    public let seqLen: Int

    public private(set) var parameters: UnsafeMutableBufferPointer<Float>
    public private(set) var gradients: UnsafeMutableBufferPointer<Float>

    // Per-unit bindings (unit start).
    private var unitParameters: [UnsafeMutablePointer<Float>?]
    private var unitGradients: [UnsafeMutablePointer<Float>?]

    private let offsets: ParameterLayout.LayerOffsets
    private let n: Int, dim: Int, kvDim: Int, qkvWidth: Int, hidden: Int, vocab: Int

    // Activations kept from forward for backward.
    private let inputs: UnsafeMutablePointer<Int32>
    private let targets: UnsafeMutablePointer<Int32>
    private let residual: UnsafeMutablePointer<Float>     // (L+1) x [n, dim]: input of each layer, then the last output
    private let rstd1: UnsafeMutablePointer<Float>        // L x [n]
    private let qkv: UnsafeMutablePointer<Float>          // L x [n, dim + 2 kvDim] (q, k rotated)
    private let attnOut: UnsafeMutablePointer<Float>      // L x [n, dim]
    private let lse: UnsafeMutablePointer<Float>          // L x [batch, heads, seqLen]
    private let rstd2: UnsafeMutablePointer<Float>        // L x [n]
    private let h1: UnsafeMutablePointer<Float>           // L x [n, hidden]
    private let h3: UnsafeMutablePointer<Float>           // L x [n, hidden]
    // Not kept (recomputed in the backward, bit-identically, from what is kept): the RMSNorm outputs
    // (from x and rstd), the SwiGLU product (from h1, h3), and h = x + attention wo^T (one n x dim x dim
    // GEMM, about 3 ms a layer): 12 MiB a layer at batch 8 x seq_len 256.
    private let rstdFinal: UnsafeMutablePointer<Float>    // [n]
    // The output layer's gradients of the mean loss, computed in the forward (the [n, vocab] probabilities
    // are not kept: 16 MB at batch 8 x seq_len 256); the backward scales them by lossScale.
    private let outputDx: UnsafeMutablePointer<Float>     // [n, dim]
    private let outputDWeight: UnsafeMutablePointer<Float> // [vocab, dim]
    private let tokenLoss: UnsafeMutablePointer<Float>    // [n]

    // Scratch (reused by every layer). The feed-forward and the attention backward never run at once, so
    // their [n, hidden]-sized buffers are shared (dQKV is dHiddenA, dAttnOut is dHiddenB).
    private let dResidual: UnsafeMutablePointer<Float>    // [n, dim]
    // [n, dim]: an RMSNorm output (forward, or recomputed in the backward), then the gradient that flows into
    // that norm: the products that read the output run before the ones that write the gradient.
    private let normed: UnsafeMutablePointer<Float>
    private let hScratch: UnsafeMutablePointer<Float>     // [n, dim]: h of the layer being differentiated
    private let dAttnOut: UnsafeMutablePointer<Float>     // [n, dim]
    private let dQKV: UnsafeMutablePointer<Float>         // [n, qkvWidth]
    private let dHiddenA: UnsafeMutablePointer<Float>     // [n, hidden]
    private let dHiddenB: UnsafeMutablePointer<Float>     // [n, hidden]
    private let attentionScratch: UnsafeMutablePointer<Float>
    private let outputChunkRows: Int                      // logits rows per chunk, in dHiddenA during the forward
    private let ropeTable: UnsafeMutablePointer<Float>    // [seqLen, headDim/2, 2]

    private var hasForward = false
    /// Query rows per attention block (Kernels.attentionBlockRows when the model was made).
    public let attentionBlockRows: Int
    /// The attention probabilities of every layer are kept for the backward when they fit in this many bytes
    /// (read at init); otherwise the backward recomputes them (flash-attention style) from the saved lse.
    /// Default 0: at batch 8 x seq_len 256 they are 126 MB (a third of the activations) and recomputing
    /// them costs one score GEMM and the exps per block, about 18 ms a layer at 1 thread.
    nonisolated(unsafe) public static var attentionProbabilityBudgetBytes = 0
    private let attentionProbabilities: UnsafeMutablePointer<Float>?
    private let attentionRowScale: UnsafeMutablePointer<Float>?
    private let attentionProbabilityCount: Int
    /// Threads for the attention core and the element-wise kernels (Kernels.workers) during forward/backward:
    /// nil (the default) follows openblas_get_num_threads(); 1 keeps them on the calling thread.
    public var kernelThreads: Int? = nil

    /// Whether this model keeps attention probabilities (true) or recomputes them in the backward.
    public var keepsAttentionProbabilities: Bool { attentionProbabilities != nil }

    /// The last forward's -log p(target) of every token, [batchSize * seqLen] (read-only view, for tests and metrics).
    public var tokenLosses: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: tokenLoss, count: n) }

    public init(config: ModelConfig, batchSize: Int, seqLen: Int, ledger: MemoryLedger,
                allocateParameters: Bool = true) throws {
        try config.validate()
        guard batchSize > 0 else { throw ModelError(description: "batchSize must be > 0, got \(batchSize)") }
        guard seqLen > 0, seqLen <= config.maxSeqLen else {
            throw ModelError(description: "seqLen must be in 1...\(config.maxSeqLen) (maxSeqLen), got \(seqLen)")
        }
        self.config = config
        let layout = ParameterLayout(config: config)
        self.layout = layout
        self.batchSize = batchSize
        self.seqLen = seqLen
        self.offsets = ParameterLayout.LayerOffsets(config: config)
        let n = batchSize * seqLen, d = config.dim, L = config.nLayers
        self.n = n; dim = d; kvDim = config.kvDim; qkvWidth = d + 2 * config.kvDim
        hidden = config.ffnHidden; vocab = config.vocabSize

        if allocateParameters {
            let p = ledger.allocate(Float.self, count: layout.count, category: .parameters, label: "model.parameters")
            let g = ledger.allocate(Float.self, count: layout.count, category: .gradients, label: "model.gradients")
            parameters = p; gradients = g
            unitParameters = layout.units.map { p.baseAddress! + $0.range.lowerBound }
            unitGradients = layout.units.map { g.baseAddress! + $0.range.lowerBound }
        } else {
            parameters = UnsafeMutableBufferPointer(start: nil, count: 0)
            gradients = UnsafeMutableBufferPointer(start: nil, count: 0)
            unitParameters = Array(repeating: nil, count: layout.units.count)
            unitGradients = Array(repeating: nil, count: layout.units.count)
        }

        func act(_ count: Int, _ label: String) -> UnsafeMutablePointer<Float> {
            ledger.allocate(Float.self, count: count, category: .activations, label: "model.\(label)").baseAddress!
        }
        func scratch(_ count: Int, _ label: String) -> UnsafeMutablePointer<Float> {
            ledger.allocate(Float.self, count: count, category: .scratch, label: "model.\(label)").baseAddress!
        }
        let hid = config.ffnHidden, w = d + 2 * config.kvDim
        inputs = ledger.allocate(Int32.self, count: n, category: .activations, label: "model.inputs").baseAddress!
        targets = ledger.allocate(Int32.self, count: n, category: .activations, label: "model.targets").baseAddress!
        residual = act((L + 1) * n * d, "residual")
        rstd1 = act(L * n, "attention_norm.rstd")
        qkv = act(L * n * w, "qkv")
        attnOut = act(L * n * d, "attention")
        lse = act(L * batchSize * config.nHeads * seqLen, "attention.lse")
        rstd2 = act(L * n, "ffn_norm.rstd")
        h1 = act(L * n * hid, "w1")
        h3 = act(L * n * hid, "w3")
        rstdFinal = act(n, "norm.rstd")
        outputDx = act(n * d, "output.d_x")
        outputDWeight = act(config.vocabSize * d, "output.d_weight")
        tokenLoss = act(n, "output.token_loss")

        dResidual = scratch(n * d, "d_residual")
        normed = scratch(n * d, "normed")
        hScratch = scratch(n * d, "h")
        // the output layer's logits, a chunk of rows at a time, use dHiddenA during the forward
        let logitRows = min(n, max(64, n * max(hid, w) / config.vocabSize / 64 * 64))
        outputChunkRows = logitRows
        dHiddenA = scratch(max(n * max(hid, w), logitRows * config.vocabSize), "d_hidden_a+d_qkv+logits")
        dHiddenB = scratch(n * max(hid, d), "d_hidden_b+d_attention")
        dQKV = dHiddenA
        dAttnOut = dHiddenB
        attentionBlockRows = Kernels.attentionBlockRows
        attentionScratch = scratch(Kernels.attentionScratchCount(seqLen: seqLen, headDim: config.headDim,
                                                                 blockRows: attentionBlockRows), "attention_scratch")
        let probCount = Kernels.attentionProbabilityCount(batch: batchSize, seqLen: seqLen, heads: config.nHeads,
                                                          blockRows: attentionBlockRows)
        if L * probCount * 4 <= Llama.attentionProbabilityBudgetBytes {
            attentionProbabilities = act(L * probCount, "attention.probabilities")
            attentionRowScale = act(L * batchSize * config.nHeads * seqLen, "attention.row_scale")
        } else {
            attentionProbabilities = nil
            attentionRowScale = nil
        }
        attentionProbabilityCount = probCount
        ropeTable = scratch(seqLen * config.headDim, "rope_table")
        Kernels.fillRopeTable(ropeTable, maxSeqLen: seqLen, headDim: config.headDim, theta: config.ropeTheta)
    }

    /// Repoint unit `unit`'s parameters / gradients at storage laid out like `layout.units[unit].range`.
    public func bind(unit: Int, parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        precondition(unit >= 0 && unit < layout.units.count, "no unit \(unit)")
        unitParameters[unit] = parameters
        unitGradients[unit] = gradients
    }

    @inline(__always) private func params(_ unit: Int) -> UnsafeMutablePointer<Float> {
        guard let p = unitParameters[unit] else { fatalError("unit \(unit) has no parameters bound") }
        return p
    }

    @inline(__always) private func grads(_ unit: Int) -> UnsafeMutablePointer<Float> {
        guard let p = unitGradients[unit] else { fatalError("unit \(unit) has no gradients bound") }
        return p
    }

    /// Zeroes the gradients of every unit (through the bindings).
    public func zeroGradients() {
        for (u, unit) in layout.units.enumerated() {
            grads(u).update(repeating: 0, count: unit.range.count)
        }
    }

    /// Mean token cross-entropy over batchSize*seqLen tokens (inputs/targets row-major [B, T]).
    public func forward(inputs tokenIDs: UnsafeBufferPointer<Int32>, targets targetIDs: UnsafeBufferPointer<Int32>,
                        hooks: StepHooks?) -> Float {
        precondition(tokenIDs.count == n && targetIDs.count == n,
                     "forward needs \(n) inputs and targets, got \(tokenIDs.count) and \(targetIDs.count)")
        let V = Int32(vocab)
        for i in 0..<n {
            let a = tokenIDs[i], b = targetIDs[i]
            precondition(a >= 0 && a < V && b >= 0 && b < V, "token id out of range 0..<\(vocab) at \(i)")
            inputs[i] = a; targets[i] = b
        }
        let c = config, d = dim, L = c.nLayers, w = qkvWidth, hid = hidden
        Kernels.workers = kernelThreads ?? Int(openblas_get_num_threads())

        hooks?.willForward(unit: 0)
        Kernels.embeddingForward(out: residual, tokens: inputs, table: params(0), n: n, dim: d)
        hooks?.didForward(unit: 0)

        for l in 0..<L {
            let unit = l + 1
            hooks?.willForward(unit: unit)
            let p = params(unit)
            let x = residual + l * n * d, out = residual + (l + 1) * n * d
            let q = qkv + l * n * w, att = attnOut + l * n * d
            let xa = normed, xb = normed
            Kernels.rmsNormForward(out: xa, rstd: rstd1 + l * n, x: x, weight: p + offsets.attentionNorm,
                                   n: n, dim: d, eps: c.normEps)
            // [q | k | v] = attention_norm(x) [wq; wk; wv]^T (the three weights are adjacent: one GEMM)
            Kernels.gemm(transA: false, transB: true, m: n, n: w, k: d, alpha: 1, a: xa, lda: d,
                         b: p + offsets.wq, ldb: d, beta: 0, c: q, ldc: w)
            Kernels.rope(q, rowStride: w, batch: batchSize, seqLen: seqLen, heads: c.nHeads + c.kvHeads,
                         headDim: c.headDim, table: ropeTable, inverse: false)
            Kernels.attentionForward(out: att, lse: lse + l * batchSize * c.nHeads * seqLen, qkv: q,
                                     batch: batchSize, seqLen: seqLen, heads: c.nHeads, kvHeads: c.kvHeads,
                                     headDim: c.headDim, scratch: attentionScratch, blockRows: attentionBlockRows,
                                     probabilities: attentionProbabilities.map { $0 + l * attentionProbabilityCount },
                                     rowScale: attentionRowScale.map { $0 + l * batchSize * c.nHeads * seqLen })
            // h = x + attention wo^T, built in the output slot (the backward rebuilds it the same way)
            out.update(from: x, count: n * d)
            Kernels.gemm(transA: false, transB: true, m: n, n: d, k: d, alpha: 1, a: att, lda: d,
                         b: p + offsets.wo, ldb: d, beta: 1, c: out, ldc: d)
            Kernels.rmsNormForward(out: xb, rstd: rstd2 + l * n, x: out, weight: p + offsets.ffnNorm,
                                   n: n, dim: d, eps: c.normEps)
            Kernels.feedForwardForward(out: out, accumulate: true, h1: h1 + l * n * hid, h3: h3 + l * n * hid,
                                       g: dHiddenA, x: xb, w1: p + offsets.w1, w2: p + offsets.w2,
                                       w3: p + offsets.w3, n: n, dim: d, hidden: hid)
            hooks?.didForward(unit: unit)
        }

        let last = L + 1
        hooks?.willForward(unit: last)
        let pf = params(last)
        Kernels.rmsNormForward(out: normed, rstd: rstdFinal, x: residual + L * n * d, weight: pf,
                               n: n, dim: d, eps: c.normEps)
        let loss = Kernels.outputForward(x: normed, weight: pf + d, targets: targets, n: n, dim: d, vocab: vocab,
                                         dx: outputDx, dWeight: outputDWeight, tokenLoss: tokenLoss,
                                         logits: dHiddenA, chunkRows: outputChunkRows)
        hooks?.didForward(unit: last)
        hasForward = true
        return loss
    }

    /// Gradients of (lossScale * the last forward's loss), added into the bound gradient buffers.
    /// Does not modify the saved activations, so it may be called more than once per forward.
    public func backward(lossScale: Float, hooks: StepHooks?) {
        precondition(hasForward, "backward before forward")
        let c = config, d = dim, L = c.nLayers, w = qkvWidth, hid = hidden
        Kernels.workers = kernelThreads ?? Int(openblas_get_num_threads())

        let last = L + 1
        hooks?.willBackward(unit: last)
        let pf = params(last), gf = grads(last)
        let dNormed = normed
        Kernels.outputBackward(dx: dNormed, dWeight: gf + d, savedDx: outputDx, savedDWeight: outputDWeight,
                               n: n, dim: d, vocab: vocab, lossScale: lossScale)
        Kernels.rmsNormBackward(dx: dResidual, accumulate: false, dWeight: gf, dOut: dNormed,
                                x: residual + L * n * d, rstd: rstdFinal, weight: pf, n: n, dim: d)
        hooks?.didBackward(unit: last)

        for l in stride(from: L - 1, through: 0, by: -1) {
            let unit = l + 1
            hooks?.willBackward(unit: unit)
            let p = params(unit), g = grads(unit)
            let x = residual + l * n * d
            let q = qkv + l * n * w, att = attnOut + l * n * d, hm = hScratch
            let h1l = h1 + l * n * hid, h3l = h3 + l * n * hid
            // feed-forward: dResidual holds d(out) = d(hm + ffn(ffn_norm(hm)))
            // recompute h, ffn_norm(h) and silu(h1) * h3 (the latter into scratchB, which it may share)
            hm.update(from: x, count: n * d)
            Kernels.gemm(transA: false, transB: true, m: n, n: d, k: d, alpha: 1, a: att, lda: d,
                         b: p + offsets.wo, ldb: d, beta: 1, c: hm, ldc: d)
            Kernels.rmsNormApply(out: normed, x: hm, rstd: rstd2 + l * n, weight: p + offsets.ffnNorm, n: n, dim: d)
            Kernels.swigluForward(g: dHiddenB, h1: h1l, h3: h3l, count: n * hid)
            Kernels.feedForwardBackward(dx: normed, dW1: g + offsets.w1, dW2: g + offsets.w2, dW3: g + offsets.w3,
                                        dOut: dResidual, x: normed, h1: h1l, h3: h3l,
                                        g: dHiddenB, w1: p + offsets.w1, w2: p + offsets.w2,
                                        w3: p + offsets.w3, n: n, dim: d, hidden: hid,
                                        scratchA: dHiddenA, scratchB: dHiddenB)
            Kernels.rmsNormBackward(dx: dResidual, accumulate: true, dWeight: g + offsets.ffnNorm, dOut: dNormed,
                                    x: hm, rstd: rstd2 + l * n, weight: p + offsets.ffnNorm, n: n, dim: d)
            // attention: dResidual holds d(hm) = d(x + wo(attention(attention_norm(x))))
            Kernels.gemm(transA: true, transB: false, m: d, n: d, k: n, alpha: 1, a: dResidual, lda: d,
                         b: att, ldb: d, beta: 1, c: g + offsets.wo, ldc: d)
            Kernels.gemm(transA: false, transB: false, m: n, n: d, k: d, alpha: 1, a: dResidual, lda: d,
                         b: p + offsets.wo, ldb: d, beta: 0, c: dAttnOut, ldc: d)
            Kernels.attentionBackward(dqkv: dQKV, dOut: dAttnOut, out: att,
                                      lse: lse + l * batchSize * c.nHeads * seqLen, qkv: q,
                                      batch: batchSize, seqLen: seqLen, heads: c.nHeads, kvHeads: c.kvHeads,
                                      headDim: c.headDim, scratch: attentionScratch, blockRows: attentionBlockRows,
                                     probabilities: attentionProbabilities.map { $0 + l * attentionProbabilityCount },
                                     rowScale: attentionRowScale.map { $0 + l * batchSize * c.nHeads * seqLen })
            Kernels.rope(dQKV, rowStride: w, batch: batchSize, seqLen: seqLen, heads: c.nHeads + c.kvHeads,
                         headDim: c.headDim, table: ropeTable, inverse: true)
            Kernels.rmsNormApply(out: normed, x: x, rstd: rstd1 + l * n, weight: p + offsets.attentionNorm,
                                 n: n, dim: d)
            let xa = normed
            Kernels.gemm(transA: true, transB: false, m: w, n: d, k: n, alpha: 1, a: dQKV, lda: w,
                         b: xa, ldb: d, beta: 1, c: g + offsets.wq, ldc: d)
            Kernels.gemm(transA: false, transB: false, m: n, n: d, k: w, alpha: 1, a: dQKV, lda: w,
                         b: p + offsets.wq, ldb: d, beta: 0, c: dNormed, ldc: d)
            Kernels.rmsNormBackward(dx: dResidual, accumulate: true, dWeight: g + offsets.attentionNorm,
                                    dOut: dNormed, x: x, rstd: rstd1 + l * n, weight: p + offsets.attentionNorm,
                                    n: n, dim: d)
            hooks?.didBackward(unit: unit)
        }

        hooks?.willBackward(unit: 0)
        Kernels.embeddingBackward(dTable: grads(0), dOut: dResidual, tokens: inputs, n: n, dim: d)
        hooks?.didBackward(unit: 0)
    }
}
