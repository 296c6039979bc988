import CBLAS
import CKernels
import Dispatch
import ModelShape
#if canImport(Glibc)
import Glibc
#endif

/// Causal attention (GQA) over a fused qkv buffer: threading, scratch sizes, the forward.
extension Kernels {
    // MARK: - Causal attention (GQA), over a fused qkv buffer

    /// Query rows handled per block (ModelSizes.attentionBlockRows, which the planner reads too).
    public static var attentionBlockRows: Int {
        get { ModelSizes.attentionBlockRows }
        set { ModelSizes.attentionBlockRows = newValue }
    }

    /// Worker threads for the attention core and the element-wise kernels (1 = the calling thread only).
    /// Llama sets it from openblas_get_num_threads() at each forward/backward. The attention is split over
    /// (batch, kv-head group) units, so heads that share k and v (GQA) stay on one thread.
    nonisolated(unsafe) public static var workers = 1
    /// Upper bound of `workers` that scratch is sized for.
    public static let maxWorkers = ModelSizes.maxAttentionWorkers

    /// The AVX2 attention (CKernels) replaces the per-head sgemm calls when probabilities are not kept.
    static func avx2Attention(headDim: Int, kept: Bool) -> Bool {
        useAVX2 && !kept && ck_attention_supports(Int32(headDim)) != 0
    }

    /// Runs body(unit) for unit in 0..<units on `workers` threads (contiguous ranges), passing the worker index,
    /// with OpenBLAS held to one thread while they run (withOneBLASThread).
    @inline(__always)
    static func parallelFor(_ units: Int, _ body: (_ unit: Int, _ worker: Int) -> Void) {
        let w = min(max(1, workers), maxWorkers, units)
        if w == 1 {
            for u in 0..<units { body(u, 0) }
            return
        }
        withOneBLASThread {
            withoutActuallyEscaping(body) { body in
                // Not Sendable: body writes through raw pointers, each worker its own units and its
                // own scratch (disjoint), and concurrentPerform returns only when every worker is done.
                nonisolated(unsafe) let body = body
                DispatchQueue.concurrentPerform(iterations: w) { worker in
                    for u in ModelSizes.part(worker, of: w, count: units) { body(u, worker) }
                }
            }
        }
    }

    /// One attention call over a fused qkv buffer, as the forward and the backward both walk it:
    /// rows of W = C + 2 KV floats ([q | k | v]), per-worker scratch, per-head kept probabilities.
    struct AttentionShape {
        let batch, seqLen, heads, kvHeads, headDim: Int
        /// Query heads per kv head (GQA), and the widths of q, of k (= of v) and of a qkv row.
        let rep, C, KV, W: Int
        let perWorker, perHead: Int
        /// CKernels' AVX2 head kernels, not the portable ones.
        let avx2: Bool

        init(batch: Int, seqLen T: Int, heads: Int, kvHeads: Int, headDim hd: Int, blockRows: Int, kept: Bool) {
            (self.batch, seqLen, self.heads, self.kvHeads, headDim) = (batch, T, heads, kvHeads, hd)
            rep = heads / kvHeads
            (C, KV) = (heads * hd, kvHeads * hd)
            W = C + 2 * KV
            perWorker = ModelSizes.attentionScratchPerWorker(seqLen: T, headDim: hd, blockRows: blockRows)
            perHead = ModelSizes.attentionProbabilityPerHead(seqLen: T, blockRows: blockRows)
            avx2 = avx2Attention(headDim: hd, kept: kept)
        }

        /// The query heads that read kv head `group`.
        func heads(of group: Int) -> Range<Int> { (group * rep)..<((group + 1) * rep) }

        /// Runs body(b, group, work) for every (batch, kv-head group) on the workers, `work` being
        /// the running worker's slice of `scratch`; timed as the attention core (GemmProfile).
        func forEachGroup(scratch: UnsafeMutablePointer<Float>,
                          _ body: (_ b: Int, _ group: Int, _ work: UnsafeMutablePointer<Float>) -> Void) {
            // the profile's statics are written only while profiling (one lane: Llama refuses more)
            let profiling = GemmProfile.enabled
            let start = profiling ? monotonicSeconds() : 0
            if profiling { GemmProfile.inAttention = true }
            // The portable core's per-head products are not the dense GEMMs MFU's split counts.
            let tally = ck_gemm_tally_swap(nil)
            defer { ck_gemm_tally_swap(tally) }
            parallelFor(batch * kvHeads) { unit, worker in
                body(unit / kvHeads, unit % kvHeads, scratch + worker * perWorker)
            }
            if profiling {
                GemmProfile.inAttention = false
                GemmProfile.attentionSeconds += monotonicSeconds() - start
            }
        }
    }

    /// qkv: rows of width (heads + 2 kvHeads) * headDim = [q | k | v], RoPE already applied to q and k.
    /// out: [n, heads * headDim]; lse: [batch, heads, seqLen] log-sum-exp of each query's scaled scores.
    /// Query head h reads kv head h / (heads / kvHeads) (torchtitan's repeat_kv).
    /// Queries are taken in blocks of `blockRows`; a block's scores against keys beyond its last row are all
    /// masked, so they are never computed. The softmax is left unnormalised (E = exp(s - shift)); the 1/sum is
    /// applied to the headDim outputs instead. When `probabilities` (attentionProbabilityCount floats) and
    /// `rowScale` ([batch, heads, seqLen]) are given, E and 1/sum are kept there for the backward, which
    /// then needs neither the score GEMM nor any exp; otherwise the backward recomputes them from lse.
    public static func attentionForward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                                        qkv: UnsafePointer<Float>, batch: Int, seqLen T: Int, heads: Int,
                                        kvHeads: Int, headDim hd: Int, scratch: UnsafeMutablePointer<Float>,
                                        blockRows requestedBlockRows: Int = attentionBlockRows,
                                        probabilities: UnsafeMutablePointer<Float>? = nil,
                                        rowScale: UnsafeMutablePointer<Float>? = nil) {
        let shape = AttentionShape(batch: batch, seqLen: T, heads: heads, kvHeads: kvHeads, headDim: hd,
                                   blockRows: requestedBlockRows, kept: probabilities != nil)
        shape.forEachGroup(scratch: scratch) { b, group, work in
            let (C, KV, W) = (shape.C, shape.KV, shape.W)
            for h in shape.heads(of: group) {
                if shape.avx2 {
                    let base = qkv + b * T * W
                    ck_attention_forward_head(out + b * T * C + h * hd, Int32(C), lse + (b * heads + h) * T,
                                              base + h * hd, base + C + group * hd, base + C + KV + group * hd,
                                              Int32(W), Int32(T), Int32(hd), work)
                    continue
                }
                attentionForwardHead(out: out, lse: lse, qkv: qkv, b: b, h: h, seqLen: T, heads: heads,
                                     kvHeads: kvHeads, headDim: hd, scratch: work, blockRows: requestedBlockRows,
                                     probabilities: probabilities.map { $0 + (b * heads + h) * shape.perHead },
                                     rowScale: rowScale)
            }
        }
    }

    static func attentionForwardHead(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                                     qkv: UnsafePointer<Float>, b: Int, h: Int, seqLen T: Int, heads: Int,
                                     kvHeads: Int, headDim hd: Int, scratch: UnsafeMutablePointer<Float>,
                                     blockRows requestedBlockRows: Int,
                                     probabilities: UnsafeMutablePointer<Float>?,
                                     rowScale: UnsafeMutablePointer<Float>?) {
        let C = heads * hd, KV = kvHeads * hd, W = C + 2 * KV
        let rep = heads / kvHeads
        let scale = 1 / Float(hd).squareRoot()
        let blockRows = min(requestedBlockRows, T)
        let invScratch = scratch + 2 * blockRows * T + T + blockRows * hd
        var stored = probabilities
        let base = qkv + b * T * W
        let Q = base + h * hd, K = base + C + (h / rep) * hd, V = base + C + KV + (h / rep) * hd
        let O = out + b * T * C + h * hd
        let L = lse + (b * heads + h) * T
        let R = rowScale.map { $0 + (b * heads + h) * T }
        // |score_ij| <= scale |q_i| max_j |k_j|: where that bound is <= 64, exp(score) can neither
        // overflow nor make the sum underflow, so the row max (a pass over the row) is not needed:
        // the softmax is the same for any shift.
        var maxKey: Float = 0
        for j in 0..<T { maxKey = max(maxKey, squaredNorm(K + j * W, hd)) }
        let bound = 64 * 64 / (scale * scale * maxKey)   // |q_i|^2 below this needs no shift
        var r0 = 0
        while r0 < T {
            let r1 = min(T, r0 + blockRows), m = r1 - r0, cols = r1
            // scores, softmax and the PV product in cache-resident scratch; E is copied out once if kept
            let S = scratch
            let inv = R.map { $0 + r0 } ?? invScratch
            gemm(transA: false, transB: true, m: m, n: cols, k: hd, alpha: scale,
                 a: Q + r0 * W, lda: W, b: K, ldb: W, beta: 0, c: S, ldc: cols)
            for i in 0..<m {
                let row = S + i * cols
                let valid = r0 + i + 1
                let mx = squaredNorm(Q + (r0 + i) * W, hd) <= bound ? 0 : rowMax(row, valid)
                let sum = expShiftSum(row, valid, mx)
                if valid < cols { (row + valid).update(repeating: 0, count: cols - valid) }
                L[r0 + i] = mx + logf(sum)
                inv[i] = 1 / sum
            }
            gemm(transA: false, transB: false, m: m, n: hd, k: cols, alpha: 1,
                 a: S, lda: cols, b: V, ldb: W, beta: 0, c: O + r0 * C, ldc: C)
            for i in 0..<m { scaleInPlace(O + (r0 + i) * C, hd, inv[i]) }
            if let p = stored { p.update(from: S, count: m * cols); stored = p + m * cols }
            r0 = r1
        }
    }
}
