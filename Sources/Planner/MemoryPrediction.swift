import Memory
import ModelShape
import RunSpec

/// The bytes a rank's memory ledger will hold, by category, for a workload on a mesh: the same
/// buffers the trainer allocates (Llama, Replicate or FullyShard, AdamW, the batch), sized by the
/// same formulas, without allocating any of them. Exact, not estimated: the ledger records
/// count x stride of every buffer, and so does this.
public enum MemoryPrediction {
    static let float = MemoryLayout<Float>.stride
    static let token = MemoryLayout<Int32>.stride

    public static func ledger(_ workload: Workload, mesh: MeshShape) -> [MemoryCategory: Int] {
        let units = UnitShards(layout: ParameterLayout(config: workload.model), shards: mesh.shard)
        var bytes = Dictionary(uniqueKeysWithValues: MemoryCategory.allCases.map { ($0, 0) })
        bytes[.activations] = activations(workload)
        bytes[.scratch] = scratch(workload)
        let local: Int
        if mesh.shard > 1 {
            // FullyShard: the local shards, gathered slots, a unit's full gradient and its scattered
            // shard; with replicas (HSDP), the out-of-place all-reduce's target for the shards.
            local = units.shardTotal
            bytes[.gatheredParameters] = float * (workload.reshardAfterForward ? 2 * units.largestPadded : units.paddedTotal)
            bytes[.communication] = float * (units.largestPadded + units.largestShard + (mesh.replicate > 1 ? local : 0))
        } else {
            // Replicate: the whole model, and (with peers) the out-of-place all-reduce's target.
            local = units.layout.count
            bytes[.communication] = mesh.replicate > 1 ? float * local : 0
        }
        bytes[.parameters] = float * local
        // lanes after the first hold the gradients of the unit being differentiated (Llama.init)
        bytes[.gradients] = float * (local + (workload.laneBatchSizes.count - 1) * units.layout.units.map(\.range.count).max()!)
        bytes[.optimizer] = 2 * float * local  // AdamW's exp_avg and exp_avg_sq
        return bytes
    }

    /// What the model keeps from forward for backward (every lane's, DecoderLane.init), plus the
    /// trainer's batch buffers.
    public static func activations(_ workload: Workload) -> Int {
        let c = workload.model, t = workload.seqLen, n = workload.tokensPerMicroBatch
        let keep = ModelSizes.keepsAttentionProbabilities(config: c, batchSize: workload.localBatchSize, seqLen: t)
        let recompute = ModelSizes.recomputesFeedForward(config: c, batchSize: workload.localBatchSize, seqLen: t)
        let lanes = workload.laneBatchSizes.map {
            laneActivations(c, batch: $0, seqLen: t, keepProbabilities: keep, recomputeFeedForward: recompute)
        }
        // the per-token loss (the model's, shared by the lanes) and the trainer's two batch buffers
        return lanes.reduce(0, +) + float * n + 2 * token * n
    }

    /// One lane's kept activations and its input and target ids.
    static func laneActivations(_ c: ModelConfig, batch b: Int, seqLen t: Int, keepProbabilities: Bool,
                                recomputeFeedForward: Bool) -> Int {
        let n = b * t
        let d = c.dim, layers = c.nLayers, hidden = c.ffnHidden, qkvWidth = d + 2 * c.kvDim
        var floats = (layers + 1) * n * d   // residual stream: each layer's input and the last output
        floats += layers * n                // attention_norm rstd
        floats += layers * n * qkvWidth     // q, k, v
        floats += layers * n * d            // attention output
        floats += layers * b * c.nHeads * t // attention log-sum-exp
        floats += layers * n                // ffn_norm rstd
        if !recomputeFeedForward { floats += 2 * layers * n * hidden }  // w1 and w3 outputs (else scratch)
        floats += n                         // final norm rstd
        floats += n * d + c.vocabSize * d   // output layer's gradients, computed in the forward
        if keepProbabilities {
            let probabilities = ModelSizes.attentionProbabilityCount(batch: b, seqLen: t, heads: c.nHeads,
                                                                  blockRows: ModelSizes.attentionBlockRows)
            floats += layers * probabilities + layers * b * c.nHeads * t  // kept probabilities and row scales
        }
        return float * floats + 2 * token * n
    }

    /// The model's work space, shared by every layer of a lane (DecoderLane.init), for every lane.
    public static func scratch(_ workload: Workload) -> Int {
        let lanes = workload.laneBatchSizes, workers = ModelSizes.attentionWorkers(lanes: lanes.count)
        let recompute = ModelSizes.recomputesFeedForward(config: workload.model, batchSize: workload.localBatchSize,
                                                         seqLen: workload.seqLen)
        return lanes.map {
            laneScratch(workload.model, batch: $0, seqLen: workload.seqLen, attentionWorkers: workers, recomputeFeedForward: recompute)
        }.reduce(0, +)
    }

    static func laneScratch(_ c: ModelConfig, batch: Int, seqLen t: Int, attentionWorkers: Int,
                            recomputeFeedForward: Bool) -> Int {
        let n = batch * t
        let d = c.dim, hidden = c.ffnHidden, qkvWidth = d + 2 * c.kvDim
        let logitRows = min(n, max(64, n * max(hidden, qkvWidth) / c.vocabSize / 64 * 64))
        var floats = 3 * n * d                                           // d_residual, normed, h / d_attention
        floats += max(n * max(hidden, qkvWidth), logitRows * c.vocabSize) // d_hidden_a, d_qkv, logits
        floats += ModelSizes.attentionScratchCount(seqLen: t, headDim: c.headDim, blockRows: ModelSizes.attentionBlockRows,
                                                workers: attentionWorkers)
        floats += t * c.headDim                                           // RoPE table
        if recomputeFeedForward { floats += 2 * n * hidden }              // one layer's w1 and w3 outputs
        return float * floats
    }
}

/// The FSDP units of a layout cut into `shards` equal pieces (FullyShard's padding rule: each
/// unit padded up to a multiple of the shard count).
struct UnitShards {
    let layout: ParameterLayout
    /// Each unit's element count padded to a multiple of `shards`.
    let padded: [Int]
    let shards: Int

    init(layout: ParameterLayout, shards: Int) {
        self.layout = layout
        self.shards = shards
        padded = layout.units.map { ($0.range.count + shards - 1) / shards * shards }
    }

    var paddedTotal: Int { padded.reduce(0, +) }
    var shardTotal: Int { paddedTotal / shards }
    var largestPadded: Int { padded.max() ?? 0 }
    var largestShard: Int { largestPadded / shards }
}
