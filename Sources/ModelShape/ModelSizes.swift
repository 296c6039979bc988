import CKernels
import RunSpec

/// How the model cuts its work and sizes its buffers: pure arithmetic the model allocates by and
/// the planner predicts from, so `meshtop` can plan a mesh without linking the model's BLAS.
public enum ModelSizes {
    /// Query rows handled per attention block: keys beyond a block's last row are masked, so
    /// their scores are skipped. Read when a model is made (benchmarks and tests change it).
    nonisolated(unsafe) public static var attentionBlockRows = 64
    /// Every layer's attention probabilities are kept for the backward when they fit in this many
    /// bytes (read when a model is made); otherwise the backward recomputes them from the saved
    /// log-sum-exp. Default 0: at batch 8 x seq_len 256 they are 126 MB (a third of the
    /// activations), and recomputing costs one score GEMM and the exps per block, about 18 ms a
    /// layer at 1 thread.
    nonisolated(unsafe) public static var attentionProbabilityBudgetBytes = 0
    /// The feed-forward's w1 and w3 outputs of every layer are kept for the backward while all of a
    /// rank's kept projections (q, k, v, w1, w3) fit in this many bytes (read when a model is made);
    /// otherwise the backward computes each layer's again from its ffn_norm output, which it
    /// recomputes anyway: two n x hidden x dim GEMMs a layer (15% more GEMM work), bit-identical.
    /// At batch 8 the projections take 113 MiB at seq_len 256, 453 at 1024 and 906 at 2048,
    /// where recomputing saves 576 MiB of the 906 for two 48 MiB buffers.
    nonisolated(unsafe) public static var keptProjectionBudgetBytes = 512 << 20

    /// Whether a model of `batchSize` sequences a rank (over all its lanes) computes w1 and w3
    /// again in the backward instead of keeping them.
    public static func recomputesFeedForward(config: ModelConfig, batchSize: Int, seqLen: Int) -> Bool {
        let n = batchSize * seqLen, qkvWidth = config.dim + 2 * config.kvDim
        return config.nLayers * n * (qkvWidth + 2 * config.ffnHidden) * MemoryLayout<Float>.stride > keptProjectionBudgetBytes
    }

    /// The most attention workers scratch is sized for.
    public static let maxAttentionWorkers = 8

    /// Part `part` of 0..<count cut into `parts` contiguous runs of nearly equal length.
    @inline(__always)
    public static func part(_ part: Int, of parts: Int, count: Int) -> Range<Int> {
        (count * part / parts)..<(count * (part + 1) / parts)
    }

    /// Lanes for `threads` compute threads and a batch of `batchSize` sequences: one per thread, at
    /// most one per sequence. One lane leaves the threads to OpenBLAS (the trainer's rule).
    public static func laneCount(threads: Int, batchSize: Int) -> Int { max(1, min(threads, batchSize)) }

    /// The sequences of each of `lanes` lanes over a batch of `batchSize`: contiguous, nearly equal.
    public static func laneBatchSizes(lanes: Int, batchSize: Int) -> [Int] {
        (0..<lanes).map { part($0, of: lanes, count: batchSize).count }
    }

    /// The most attention workers a lane runs with: lanes that run at once are single-threaded
    /// each; a lone lane follows the kernels' worker count (up to maxAttentionWorkers).
    public static func attentionWorkers(lanes: Int) -> Int { lanes > 1 ? 1 : maxAttentionWorkers }

    /// Whether a model keeps every layer's attention probabilities for the backward.
    public static func keepsAttentionProbabilities(config: ModelConfig, batchSize: Int, seqLen: Int) -> Bool {
        let probabilities = attentionProbabilityCount(batch: batchSize, seqLen: seqLen, heads: config.nHeads)
        return config.nLayers * probabilities * MemoryLayout<Float>.stride <= attentionProbabilityBudgetBytes
    }

    /// Floats of scratch the attention forward and backward need (for up to `workers` threads).
    public static func attentionScratchCount(seqLen: Int, headDim: Int, blockRows: Int = attentionBlockRows,
                                             workers: Int = maxAttentionWorkers) -> Int {
        workers * attentionScratchPerWorker(seqLen: seqLen, headDim: headDim, blockRows: blockRows)
    }

    /// The larger of the BLAS path's and the AVX2 kernel's needs, rounded to 16 floats.
    public static func attentionScratchPerWorker(seqLen: Int, headDim: Int, blockRows: Int) -> Int {
        let rows = min(blockRows, seqLen)
        let blas = 2 * rows * seqLen + seqLen + rows * headDim + rows + 64
        let avx2 = Int(ck_attention_scratch_floats(Int32(seqLen), Int32(headDim)))
        return (max(blas, avx2) + 15) / 16 * 16
    }

    /// Floats of kept probabilities per (batch, head): the computed part of every query block
    /// (rows r0..<r1 times keys 0..<r1).
    public static func attentionProbabilityPerHead(seqLen T: Int, blockRows: Int) -> Int {
        let rows = min(blockRows, T)
        var perHead = 0, r0 = 0
        while r0 < T { let r1 = min(T, r0 + rows); perHead += (r1 - r0) * r1; r0 = r1 }
        return perHead
    }

    /// Floats needed to keep the (unnormalised) attention probabilities of one layer.
    public static func attentionProbabilityCount(batch: Int, seqLen T: Int, heads: Int,
                                                 blockRows: Int = attentionBlockRows) -> Int {
        batch * heads * attentionProbabilityPerHead(seqLen: T, blockRows: blockRows)
    }
}
