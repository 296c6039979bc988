import Memory
import ModelShape
import RunSpec

/// The decoder's forward and backward over one contiguous slice of the batch, with its own
/// activations and scratch (allocated once, in init, through the ledger). A Llama runs one lane
/// per thread; the parameters (and lane 0's gradients) are the Llama's, reached through bindings.
final class DecoderLane {
    let config: ModelConfig
    let offsets: ParameterLayout.LayerOffsets
    let batchSize: Int
    let seqLen: Int
    let n: Int, dim: Int, kvDim: Int, qkvWidth: Int, hidden: Int, vocab: Int

    // Per-unit bindings (unit start).
    var unitParameters: [UnsafeMutablePointer<Float>?]
    var unitGradients: [UnsafeMutablePointer<Float>?]

    // Activations kept from forward for backward.
    let inputs: UnsafeMutablePointer<Int32>
    let targets: UnsafeMutablePointer<Int32>
    let residual: UnsafeMutablePointer<Float>     // (L+1) x [n, dim]: input of each layer, then the last output
    let rstd1: UnsafeMutablePointer<Float>        // L x [n]
    let qkv: UnsafeMutablePointer<Float>          // L x [n, dim + 2 kvDim] (q, k rotated)
    let attnOut: UnsafeMutablePointer<Float>      // L x [n, dim]
    let lse: UnsafeMutablePointer<Float>          // L x [batch, heads, seqLen]
    let rstd2: UnsafeMutablePointer<Float>        // L x [n]
    let h1: UnsafeMutablePointer<Float>           // L x [n, hidden], or one [n, hidden] when recomputed
    let h3: UnsafeMutablePointer<Float>           // L x [n, hidden], or one [n, hidden] when recomputed
    /// w1 and w3 are computed again in the backward (long sequences, ModelSizes.recomputesFeedForward):
    /// h1 and h3 are then one layer's scratch.
    let recomputesFeedForward: Bool
    // Not kept (recomputed in the backward, bit-identically, from what is kept): the RMSNorm outputs
    // (from x and rstd), the SwiGLU product (from h1, h3), and h = x + attention wo^T (one n x dim x dim
    // GEMM, about 3 ms a layer): 12 MiB a layer at batch 8 x seq_len 256.
    let rstdFinal: UnsafeMutablePointer<Float>    // [n]
    // The output layer's gradients of the mean loss, computed in the forward (the [n, vocab] probabilities
    // are not kept: 16 MB at batch 8 x seq_len 256); the backward scales them by lossScale.
    let outputDx: UnsafeMutablePointer<Float>     // [n, dim]
    let outputDWeight: UnsafeMutablePointer<Float> // [vocab, dim]
    let tokenLoss: UnsafeMutablePointer<Float>    // [n], a slice of the Llama's

    // Scratch (reused by every layer). The feed-forward and the attention backward never run at once, so
    // they share their [n, hidden]-sized buffer (dQKV is dHiddenA); the feed-forward's backward writes dh3
    // over h1 and dh1 over h3, and the attention's dAttnOut goes where h was (its last reader, ffn_norm's backward, is done).
    let dResidual: UnsafeMutablePointer<Float>    // [n, dim]
    // [n, dim]: an RMSNorm output (forward, or recomputed in the backward), then the gradient that flows into
    // that norm: the products that read the output run before the ones that write the gradient.
    let normed: UnsafeMutablePointer<Float>
    let hScratch: UnsafeMutablePointer<Float>     // [n, dim]: h of the layer being differentiated
    let dAttnOut: UnsafeMutablePointer<Float>     // [n, dim], hScratch
    let dQKV: UnsafeMutablePointer<Float>         // [n, qkvWidth], dHiddenA
    let dHiddenA: UnsafeMutablePointer<Float>     // [n, hidden]: the FFN's g (forward); dg, then g (backward)
    let attentionScratch: UnsafeMutablePointer<Float>
    let outputChunkRows: Int                      // logits rows per chunk, in dHiddenA during the forward
    let ropeTable: UnsafeMutablePointer<Float>    // [seqLen, headDim/2, 2]
    let attentionBlockRows: Int
    let attentionProbabilities: UnsafeMutablePointer<Float>?
    let attentionRowScale: UnsafeMutablePointer<Float>?
    let attentionProbabilityCount: Int
    var hasForward = false

    /// `label` prefixes the ledger labels ("model." for lane 0, "model.lane1." ...). `attentionWorkers`:
    /// the most Kernels.workers the lane runs with (1 when lanes run at once).
    init(config: ModelConfig, units unitCount: Int, batchSize: Int, seqLen: Int, tokenLoss: UnsafeMutablePointer<Float>,
         keepProbabilities: Bool, recomputeFeedForward: Bool, attentionWorkers: Int, ledger: MemoryLedger,
         label: String) {
        self.config = config
        self.offsets = ParameterLayout.LayerOffsets(config: config)
        self.batchSize = batchSize
        self.seqLen = seqLen
        let n = batchSize * seqLen, d = config.dim, L = config.nLayers
        self.n = n; dim = d; kvDim = config.kvDim; qkvWidth = d + 2 * config.kvDim
        hidden = config.ffnHidden; vocab = config.vocabSize
        unitParameters = Array(repeating: nil, count: unitCount)
        unitGradients = Array(repeating: nil, count: unitCount)
        self.tokenLoss = tokenLoss

        func act(_ count: Int, _ name: String) -> UnsafeMutablePointer<Float> {
            ledger.allocate(Float.self, count: count, category: .activations, label: label + name).baseAddress!
        }
        func scratch(_ count: Int, _ name: String) -> UnsafeMutablePointer<Float> {
            ledger.allocate(Float.self, count: count, category: .scratch, label: label + name).baseAddress!
        }
        let hid = config.ffnHidden, w = d + 2 * config.kvDim
        inputs = ledger.allocate(Int32.self, count: n, category: .activations, label: label + "inputs").baseAddress!
        targets = ledger.allocate(Int32.self, count: n, category: .activations, label: label + "targets").baseAddress!
        residual = act((L + 1) * n * d, "residual")
        rstd1 = act(L * n, "attention_norm.rstd")
        qkv = act(L * n * w, "qkv")
        attnOut = act(L * n * d, "attention")
        lse = act(L * batchSize * config.nHeads * seqLen, "attention.lse")
        rstd2 = act(L * n, "ffn_norm.rstd")
        recomputesFeedForward = recomputeFeedForward
        if recomputeFeedForward {
            h1 = scratch(n * hid, "w1 (recomputed)")
            h3 = scratch(n * hid, "w3 (recomputed)")
        } else {
            h1 = act(L * n * hid, "w1")
            h3 = act(L * n * hid, "w3")
        }
        rstdFinal = act(n, "norm.rstd")
        outputDx = act(n * d, "output.d_x")
        outputDWeight = act(config.vocabSize * d, "output.d_weight")

        dResidual = scratch(n * d, "d_residual")
        normed = scratch(n * d, "normed")
        hScratch = scratch(n * d, "h")
        // the output layer's logits, a chunk of rows at a time, use dHiddenA during the forward
        let logitRows = min(n, max(64, n * max(hid, w) / config.vocabSize / 64 * 64))
        outputChunkRows = logitRows
        dHiddenA = scratch(max(n * max(hid, w), logitRows * config.vocabSize), "d_hidden_a+d_qkv+logits")
        dQKV = dHiddenA
        dAttnOut = hScratch
        attentionBlockRows = Kernels.attentionBlockRows
        attentionScratch = scratch(ModelSizes.attentionScratchCount(seqLen: seqLen, headDim: config.headDim,
                                                                 blockRows: attentionBlockRows, workers: attentionWorkers),
                                   "attention_scratch")
        let probCount = ModelSizes.attentionProbabilityCount(batch: batchSize, seqLen: seqLen, heads: config.nHeads,
                                                          blockRows: attentionBlockRows)
        if keepProbabilities {
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

    /// Layer l's w1 and w3 outputs (the one scratch pair when they are recomputed).
    @inline(__always) func feedForwardOutputs(_ l: Int) -> (h1: UnsafeMutablePointer<Float>, h3: UnsafeMutablePointer<Float>) {
        let at = recomputesFeedForward ? 0 : l * n * hidden
        return (h1 + at, h3 + at)
    }

    @inline(__always) func params(_ unit: Int) -> UnsafeMutablePointer<Float> {
        guard let p = unitParameters[unit] else { fatalError("unit \(unit) has no parameters bound") }
        return p
    }

    @inline(__always) func grads(_ unit: Int) -> UnsafeMutablePointer<Float> {
        guard let p = unitGradients[unit] else { fatalError("unit \(unit) has no gradients bound") }
        return p
    }
}
