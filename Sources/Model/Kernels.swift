import CBLAS
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

public typealias Vec16 = SIMD16<Float>

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> Vec16 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec16.self)
}

@inline(__always) func load16(_ p: UnsafeMutablePointer<Float>) -> Vec16 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec16.self)
}

@inline(__always) func store16(_ v: Vec16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec16.self)
}

/// Lane-wise max/min through compare + select (the standard library's pointwiseMax/clamped are
/// scalarised lane by lane through memory; these compile to cmpps/blend).
@inline(__always) func vmax(_ a: Vec16, _ b: Vec16) -> Vec16 { a.replacing(with: b, where: a .< b) }
@inline(__always) func vmin(_ a: Vec16, _ b: Vec16) -> Vec16 { a.replacing(with: b, where: b .< a) }

/// First `count` (< 16) lanes from `p`, the others `fill`.
@inline(__always) func loadPartial(_ p: UnsafePointer<Float>, _ count: Int, fill: Float) -> Vec16 {
    var v = Vec16(repeating: fill)
    for i in 0..<count { v[i] = p[i] }
    return v
}

@inline(__always) func storePartial(_ v: Vec16, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { p[i] = v[i] }
}

/// exp(x) for 16 lanes: Cephes' expf (range reduction by ln 2, degree-6 polynomial), about 1 ulp.
/// Inputs are clamped to [-87.3, 88.7].
@inline(__always)
func vexp16(_ input: Vec16) -> Vec16 {
    let x = vmin(vmax(input, Vec16(repeating: -87.3)), Vec16(repeating: 88.7))
    let magic: Float = 12582912.0   // 1.5 * 2^23: adding it rounds to an integer in the low mantissa bits
    let t = x * 1.44269504088896341 + magic
    let n = t - magic
    var r = x - n * 0.693359375
    r = r + n * 2.12194440e-4
    // Cephes' polynomial, evaluated by Estrin's scheme (shorter dependency chains than Horner's).
    let r2 = r * r, r4 = r2 * r2
    let p01 = r * 1.6666665459e-1 + 5.0000001201e-1
    let p23 = r * 8.3334519073e-3 + 4.1665795894e-2
    let p45 = r * 1.9875691500e-4 + 1.3981999507e-3
    let p = p01 + r2 * p23 + r4 * p45
    let y = p * r2 + r + 1
    let bits = unsafeBitCast(t, to: SIMD16<Int32>.self) &- unsafeBitCast(Vec16(repeating: magic), to: SIMD16<Int32>.self)
    let scale = unsafeBitCast((bits &+ 127) &<< 23, to: Vec16.self)
    return y * scale
}

/// Monotonic seconds.
@inline(__always) public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Optional timing of every dense sgemm call and of the attention core (for the benchmark's split).
public enum GemmProfile {
    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) public static var seconds: Double = 0
    nonisolated(unsafe) public static var calls: Int = 0
    /// Seconds in the attention core (its per-head products, softmax and all); not part of `seconds`.
    nonisolated(unsafe) public static var attentionSeconds: Double = 0
    nonisolated(unsafe) static var inAttention = false
    public static func reset() { seconds = 0; calls = 0; attentionSeconds = 0 }
}

/// The forward and backward kernels of every layer kind, over plain buffers. Row-major throughout;
/// n = number of tokens (batch * seqLen). Nothing here allocates.
public enum Kernels {

    // MARK: - GEMM

    /// C = alpha * op(A) op(B) + beta * C, row-major (cblas_sgemm).
    @inline(__always)
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let profiling = GemmProfile.enabled && !GemmProfile.inAttention
        let start = profiling ? monotonicSeconds() : 0
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        if profiling {
            let t = monotonicSeconds() - start
            GemmProfile.seconds += t
            GemmProfile.calls += 1
        }
    }

    // MARK: - Vector math

    /// exp(x) for 16 lanes (see vexp16).
    @inline(__always)
    public static func exp16(_ input: Vec16) -> Vec16 { vexp16(input) }

    @inline(__always)
    public static func exp(_ x: Float) -> Float { exp16(Vec16(repeating: x))[0] }

    /// max of p[0..<n] (n > 0).
    @inline(__always)
    static func rowMax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = Vec16(repeating: -.infinity)
        var i = 0
        while i + 16 <= n { m = vmax(m, load16(p + i)); i += 16 }
        if i < n { m = vmax(m, loadPartial(p + i, n - i, fill: -.infinity)) }
        return m.max()
    }

    /// p[i] = exp(p[i] - shift) for i < n; returns the sum.
    @inline(__always)
    static func expShiftSum(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ shift: Float) -> Float {
        var s = Vec16(repeating: 0)
        var i = 0
        while i + 16 <= n {
            let e = vexp16(load16(p + i) - shift)
            store16(e, p + i); s += e; i += 16
        }
        if i < n {
            let rem = n - i
            var e = vexp16(loadPartial(p + i, rem, fill: 0) - shift)
            storePartial(e, p + i, rem)
            for k in rem..<16 { e[k] = 0 }
            s += e
        }
        return s.sum()
    }

    /// sum of squares of p[0..<n]
    @inline(__always)
    static func squaredNorm(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vec16(repeating: 0)
        var i = 0
        while i + 16 <= n { let v = load16(p + i); acc += v * v; i += 16 }
        var s = acc.sum()
        while i < n { s += p[i] * p[i]; i += 1 }
        return s
    }

    @inline(__always)
    static func scaleInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ factor: Float) {
        var i = 0
        while i + 16 <= n { store16(load16(p + i) * factor, p + i); i += 16 }
        while i < n { p[i] *= factor; i += 1 }
    }

    // MARK: - Embedding

    /// out[i, :] = table[tokens[i], :]
    public static func embeddingForward(out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>,
                                        table: UnsafePointer<Float>, n: Int, dim: Int) {
        for i in 0..<n {
            (out + i * dim).update(from: table + Int(tokens[i]) * dim, count: dim)
        }
    }

    /// dTable[tokens[i], :] += dOut[i, :]
    public static func embeddingBackward(dTable: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                                         tokens: UnsafePointer<Int32>, n: Int, dim: Int) {
        for i in 0..<n {
            let d = dTable + Int(tokens[i]) * dim, g = dOut + i * dim
            var c = 0
            while c + 16 <= dim { store16(load16(d + c) + load16(g + c), d + c); c += 16 }
            while c < dim { d[c] += g[c]; c += 1 }
        }
    }

    // MARK: - RMSNorm

    /// out = x / sqrt(mean(x^2) + eps) * weight; rstd[i] = 1 / sqrt(mean(x_i^2) + eps).
    public static func rmsNormForward(out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                                      x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                      n: Int, dim: Int, eps: Float) {
        for i in 0..<n {
            let xr = x + i * dim, o = out + i * dim
            var acc = Vec16(repeating: 0)
            var c = 0
            while c + 16 <= dim { let v = load16(xr + c); acc += v * v; c += 16 }
            var ss = acc.sum()
            while c < dim { ss += xr[c] * xr[c]; c += 1 }
            let r = 1 / (ss / Float(dim) + eps).squareRoot()
            rstd[i] = r
            c = 0
            while c + 16 <= dim { store16(load16(xr + c) * r * load16(weight + c), o + c); c += 16 }
            while c < dim { o[c] = xr[c] * r * weight[c]; c += 1 }
        }
    }

    /// out = x * rstd * weight with the rstd rmsNormForward saved: its output again, bit for bit, so the
    /// backward can recompute the normalised activations instead of keeping them.
    public static func rmsNormApply(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                                    rstd: UnsafePointer<Float>, weight: UnsafePointer<Float>, n: Int, dim: Int) {
        for i in 0..<n {
            let xr = x + i * dim, o = out + i * dim, r = rstd[i]
            var c = 0
            while c + 16 <= dim { store16(load16(xr + c) * r * load16(weight + c), o + c); c += 16 }
            while c < dim { o[c] = xr[c] * r * weight[c]; c += 1 }
        }
    }

    /// Backward of rmsNormForward. dx is written (accumulate false) or added to (accumulate true);
    /// dWeight is always added to.
    public static func rmsNormBackward(dx: UnsafeMutablePointer<Float>, accumulate: Bool,
                                       dWeight: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                                       x: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                       weight: UnsafePointer<Float>, n: Int, dim: Int) {
        for i in 0..<n {
            let xr = x + i * dim, g = dOut + i * dim, d = dx + i * dim
            let r = rstd[i]
            // pass 1: sum(dy * w * x), dWeight += dy * x * r
            var acc = Vec16(repeating: 0)
            var c = 0
            while c + 16 <= dim {
                let xv = load16(xr + c), gv = load16(g + c)
                acc += gv * load16(weight + c) * xv
                store16(load16(dWeight + c) + gv * xv * r, dWeight + c)
                c += 16
            }
            var dot = acc.sum()
            while c < dim {
                dot += g[c] * weight[c] * xr[c]
                dWeight[c] += g[c] * xr[c] * r
                c += 1
            }
            // pass 2: dx = r * dy * w - x * r^3 / dim * dot
            let k = dot * r * r * r / Float(dim)
            c = 0
            if accumulate {
                while c + 16 <= dim {
                    let v = load16(g + c) * load16(weight + c) * r - load16(xr + c) * k
                    store16(load16(d + c) + v, d + c); c += 16
                }
                while c < dim { d[c] += g[c] * weight[c] * r - xr[c] * k; c += 1 }
            } else {
                while c + 16 <= dim {
                    store16(load16(g + c) * load16(weight + c) * r - load16(xr + c) * k, d + c); c += 16
                }
                while c < dim { d[c] = g[c] * weight[c] * r - xr[c] * k; c += 1 }
            }
        }
    }

    // MARK: - RoPE

    /// In place on rows of `x`: token (b, t) is the row at x + (b * seqLen + t) * rowStride, holding `heads`
    /// heads of headDim features; pair (2k, 2k+1) of each head at position t is rotated by t * freq_k.
    /// `table` is a RopeTable's cos/sin pairs: table[(t * headDim/2 + k) * 2 + 0/1] = cos/sin.
    /// inverse: rotate by -angle (the backward of the rotation).
    public static func rope(_ x: UnsafeMutablePointer<Float>, rowStride: Int, batch: Int, seqLen: Int,
                            heads: Int, headDim: Int, table: UnsafePointer<Float>, inverse: Bool) {
        let half = headDim / 2
        let sign: Float = inverse ? -1 : 1
        for b in 0..<batch {
            for t in 0..<seqLen {
                let row = x + (b * seqLen + t) * rowStride
                let cs = table + t * half * 2
                for h in 0..<heads {
                    let hp = row + h * headDim
                    for k in 0..<half {
                        let c = cs[2 * k], s = sign * cs[2 * k + 1]
                        let a = hp[2 * k], bb = hp[2 * k + 1]
                        hp[2 * k] = a * c - bb * s
                        hp[2 * k + 1] = a * s + bb * c
                    }
                }
            }
        }
    }

    /// cos/sin of t * theta^(-2k/headDim) for t < maxSeqLen, k < headDim/2, interleaved; computed in Double.
    public static func fillRopeTable(_ table: UnsafeMutablePointer<Float>, maxSeqLen: Int, headDim: Int, theta: Double) {
        let half = headDim / 2
        for t in 0..<maxSeqLen {
            for k in 0..<half {
                let freq = Foundation_pow(theta, -Double(2 * k) / Double(headDim))
                let angle = Double(t) * freq
                table[(t * half + k) * 2] = Float(cos(angle))
                table[(t * half + k) * 2 + 1] = Float(sin(angle))
            }
        }
    }

    // MARK: - Causal attention (GQA), over a fused qkv buffer

    /// Query rows handled per block: the keys beyond a block's last row are masked, so their scores are skipped.
    nonisolated(unsafe) public static var attentionBlockRows = 64

    /// Worker threads for the attention core and the element-wise kernels (1 = the calling thread only).
    /// Llama sets it from openblas_get_num_threads() at each forward/backward. The attention is split over
    /// (batch, kv-head group) units, so heads that share k and v (GQA) stay on one thread.
    nonisolated(unsafe) public static var workers = 1
    /// Upper bound of `workers` that scratch is sized for.
    public static let maxWorkers = 8

    /// Floats of scratch attentionForward/attentionBackward need (for up to maxWorkers threads).
    public static func attentionScratchCount(seqLen: Int, headDim: Int, blockRows: Int = attentionBlockRows) -> Int {
        maxWorkers * attentionScratchPerWorker(seqLen: seqLen, headDim: headDim, blockRows: blockRows)
    }

    static func attentionScratchPerWorker(seqLen: Int, headDim: Int, blockRows: Int) -> Int {
        let rows = min(blockRows, seqLen)
        return (2 * rows * seqLen + seqLen + rows * headDim + rows + 64 + 15) / 16 * 16
    }

    /// Floats of kept probabilities per (batch, head): the computed part of every query block
    /// (rows r0..<r1 times keys 0..<r1).
    static func attentionProbabilityPerHead(seqLen T: Int, blockRows: Int) -> Int {
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

    /// Runs body(unit) for unit in 0..<units on `workers` threads (contiguous ranges), passing the worker index.
    /// While they run, OpenBLAS is held to one thread, so the sgemm calls the workers make do not each try to
    /// use the BLAS thread pool (with several callers it serialises and spins).
    @inline(__always)
    static func parallelFor(_ units: Int, _ body: (_ unit: Int, _ worker: Int) -> Void) {
        let w = min(max(1, workers), maxWorkers, units)
        if w == 1 {
            for u in 0..<units { body(u, 0) }
            return
        }
        let blasThreads = openblas_get_num_threads()
        if blasThreads != 1 { openblas_set_num_threads(1) }
        DispatchQueue.concurrentPerform(iterations: w) { worker in
            let lo = units * worker / w, hi = units * (worker + 1) / w
            for u in lo..<hi { body(u, worker) }
        }
        if blasThreads != 1 { openblas_set_num_threads(blasThreads) }
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
        let start = GemmProfile.enabled ? monotonicSeconds() : 0
        GemmProfile.inAttention = true
        let rep = heads / kvHeads
        let perWorker = attentionScratchPerWorker(seqLen: T, headDim: hd, blockRows: requestedBlockRows)
        let perHead = attentionProbabilityPerHead(seqLen: T, blockRows: requestedBlockRows)
        parallelFor(batch * kvHeads) { unit, worker in
            let b = unit / kvHeads, group = unit % kvHeads
            for h in (group * rep)..<((group + 1) * rep) {
                attentionForwardHead(out: out, lse: lse, qkv: qkv, b: b, h: h, seqLen: T, heads: heads,
                                     kvHeads: kvHeads, headDim: hd, scratch: scratch + worker * perWorker,
                                     blockRows: requestedBlockRows,
                                     probabilities: probabilities.map { $0 + (b * heads + h) * perHead },
                                     rowScale: rowScale)
            }
        }
        GemmProfile.inAttention = false
        if GemmProfile.enabled { GemmProfile.attentionSeconds += monotonicSeconds() - start }
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

    /// Backward of attentionForward: writes dqkv (all of it; gradients w.r.t. the rotated q and k).
    /// Pass the same `probabilities`/`rowScale` as the forward, or nil for both to recompute from lse.
    public static func attentionBackward(dqkv: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                                         out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                         qkv: UnsafePointer<Float>, batch: Int, seqLen T: Int, heads: Int,
                                         kvHeads: Int, headDim hd: Int, scratch: UnsafeMutablePointer<Float>,
                                         blockRows requestedBlockRows: Int = attentionBlockRows,
                                         probabilities: UnsafePointer<Float>? = nil,
                                         rowScale: UnsafePointer<Float>? = nil) {
        let start = GemmProfile.enabled ? monotonicSeconds() : 0
        GemmProfile.inAttention = true
        let rep = heads / kvHeads
        let perWorker = attentionScratchPerWorker(seqLen: T, headDim: hd, blockRows: requestedBlockRows)
        let perHead = attentionProbabilityPerHead(seqLen: T, blockRows: requestedBlockRows)
        let C = heads * hd, KV = kvHeads * hd, W = C + 2 * KV
        parallelFor(batch * kvHeads) { unit, worker in
            let b = unit / kvHeads, group = unit % kvHeads
            // dk and dv of this group are accumulated over query blocks and over the heads sharing them.
            for t in 0..<T {
                let row = dqkv + (b * T + t) * W
                (row + C + group * hd).update(repeating: 0, count: hd)
                (row + C + KV + group * hd).update(repeating: 0, count: hd)
            }
            for h in (group * rep)..<((group + 1) * rep) {
                attentionBackwardHead(dqkv: dqkv, dOut: dOut, out: out, lse: lse, qkv: qkv, b: b, h: h, seqLen: T,
                                      heads: heads, kvHeads: kvHeads, headDim: hd,
                                      scratch: scratch + worker * perWorker, blockRows: requestedBlockRows,
                                      probabilities: probabilities.map { $0 + (b * heads + h) * perHead },
                                      rowScale: rowScale)
            }
        }
        GemmProfile.inAttention = false
        if GemmProfile.enabled { GemmProfile.attentionSeconds += monotonicSeconds() - start }
    }

    static func attentionBackwardHead(dqkv: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                                      out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                      qkv: UnsafePointer<Float>, b: Int, h: Int, seqLen T: Int, heads: Int,
                                      kvHeads: Int, headDim hd: Int, scratch: UnsafeMutablePointer<Float>,
                                      blockRows requestedBlockRows: Int,
                                      probabilities: UnsafePointer<Float>?, rowScale: UnsafePointer<Float>?) {
        let C = heads * hd, KV = kvHeads * hd, W = C + 2 * KV
        let rep = heads / kvHeads
        let scale = 1 / Float(hd).squareRoot()
        let blockRows = min(requestedBlockRows, T)
        let P = scratch, dS = scratch + blockRows * T, D = scratch + 2 * blockRows * T
        let dOScaled = D + T
        var stored = probabilities
        let base = qkv + b * T * W, dbase = dqkv + b * T * W
        let qOff = h * hd, kOff = C + (h / rep) * hd, vOff = C + KV + (h / rep) * hd
        let Q = base + qOff, K = base + kOff, V = base + vOff
        let dQ = dbase + qOff, dK = dbase + kOff, dV = dbase + vOff
        let O = out + b * T * C + h * hd, dO = dOut + b * T * C + h * hd
        let L = lse + (b * heads + h) * T
        let R = rowScale.map { $0 + (b * heads + h) * T }
        for t in 0..<T {
            var s: Float = 0
            let o = O + t * C, g = dO + t * C
            for d in 0..<hd { s += o[d] * g[d] }
            D[t] = s
        }
        var r0 = 0
        while r0 < T {
            let r1 = min(T, r0 + blockRows), m = r1 - r0, cols = r1
            gemm(transA: false, transB: true, m: m, n: cols, k: hd, alpha: 1,
                 a: dO + r0 * C, lda: C, b: V, ldb: W, beta: 0, c: dS, ldc: cols)
            let probs: UnsafePointer<Float>
            let dVSource: UnsafePointer<Float>, dVStride: Int
            if let E = stored, let R {
                // P = E * (1/sum) per row: dS = E (dP - D) scale/sum over whole rows (E is 0 where masked);
                // dV += E^T (dO / sum).
                probs = E
                for i in 0..<m {
                    let e = E + i * cols, ds = dS + i * cols
                    let dd = D[r0 + i], c = R[r0 + i] * scale
                    var j = 0
                    while j + 16 <= cols {
                        store16(load16(e + j) * (load16(ds + j) - dd) * c, ds + j); j += 16
                    }
                    while j < cols { ds[j] = e[j] * (ds[j] - dd) * c; j += 1 }
                    let inv = R[r0 + i]
                    for d in 0..<hd { dOScaled[i * hd + d] = dO[(r0 + i) * C + d] * inv }
                }
                dVSource = UnsafePointer(dOScaled); dVStride = hd
                stored = E + m * cols
            } else {
                gemm(transA: false, transB: true, m: m, n: cols, k: hd, alpha: scale,
                     a: Q + r0 * W, lda: W, b: K, ldb: W, beta: 0, c: P, ldc: cols)
                for i in 0..<m {
                    let p = P + i * cols, ds = dS + i * cols
                    let valid = r0 + i + 1
                    let l = L[r0 + i], dd = D[r0 + i]
                    var j = 0
                    while j + 16 <= valid {
                        let pv = vexp16(load16(p + j) - l)
                        store16(pv, p + j)
                        store16(pv * (load16(ds + j) - dd) * scale, ds + j)
                        j += 16
                    }
                    if j < valid {
                        let rem = valid - j
                        let pv = vexp16(loadPartial(p + j, rem, fill: 0) - l)
                        storePartial(pv, p + j, rem)
                        storePartial(pv * (loadPartial(ds + j, rem, fill: 0) - dd) * scale, ds + j, rem)
                    }
                    if valid < cols {
                        (p + valid).update(repeating: 0, count: cols - valid)
                        (ds + valid).update(repeating: 0, count: cols - valid)
                    }
                }
                probs = UnsafePointer(P)
                dVSource = dO + r0 * C; dVStride = C
            }
            // dV[0..<r1] += P^T dO_block; dQ_block = dS K[0..<r1]; dK[0..<r1] += dS^T Q_block
            gemm(transA: true, transB: false, m: cols, n: hd, k: m, alpha: 1,
                 a: probs, lda: cols, b: dVSource, ldb: dVStride, beta: 1, c: dV, ldc: W)
            gemm(transA: false, transB: false, m: m, n: hd, k: cols, alpha: 1,
                 a: dS, lda: cols, b: K, ldb: W, beta: 0, c: dQ + r0 * W, ldc: W)
            gemm(transA: true, transB: false, m: cols, n: hd, k: m, alpha: 1,
                 a: dS, lda: cols, b: Q + r0 * W, ldb: W, beta: 1, c: dK, ldc: W)
            r0 = r1
        }
    }

    // MARK: - SwiGLU

    /// Splits 0..<count into `workers` chunks (multiples of 16) and runs body(lo, hi) on each.
    @inline(__always)
    static func parallelChunks(_ count: Int, _ body: (_ lo: Int, _ hi: Int) -> Void) {
        let w = min(max(1, workers), maxWorkers)
        if w == 1 || count < 4096 { body(0, count); return }
        let chunk = (count / w + 15) / 16 * 16
        parallelFor(w) { part, _ in
            let lo = min(count, part * chunk), hi = part == w - 1 ? count : min(count, lo + chunk)
            if lo < hi { body(lo, hi) }
        }
    }

    /// g = silu(h1) * h3
    public static func swigluForward(g: UnsafeMutablePointer<Float>, h1: UnsafePointer<Float>,
                                     h3: UnsafePointer<Float>, count: Int) {
        parallelChunks(count) { lo, hi in swigluForwardRange(g: g + lo, h1: h1 + lo, h3: h3 + lo, count: hi - lo) }
    }

    static func swigluForwardRange(g: UnsafeMutablePointer<Float>, h1: UnsafePointer<Float>,
                                   h3: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let a = load16(h1 + i)
            let s = 1 / (1 + vexp16(-a))
            store16(a * s * load16(h3 + i), g + i)
            i += 16
        }
        while i < count {
            let a = h1[i]
            let s = 1 / (1 + exp(-a))
            g[i] = a * s * h3[i]
            i += 1
        }
    }

    /// dh1 = dg * h3 * silu'(h1), dh3 = dg * silu(h1). dh1 may be the same buffer as dg.
    public static func swigluBackward(dh1: UnsafeMutablePointer<Float>, dh3: UnsafeMutablePointer<Float>,
                                      dg: UnsafePointer<Float>, h1: UnsafePointer<Float>,
                                      h3: UnsafePointer<Float>, count: Int) {
        parallelChunks(count) { lo, hi in
            swigluBackwardRange(dh1: dh1 + lo, dh3: dh3 + lo, dg: dg + lo, h1: h1 + lo, h3: h3 + lo, count: hi - lo)
        }
    }

    static func swigluBackwardRange(dh1: UnsafeMutablePointer<Float>, dh3: UnsafeMutablePointer<Float>,
                                    dg: UnsafePointer<Float>, h1: UnsafePointer<Float>,
                                    h3: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let a = load16(h1 + i), g = load16(dg + i)
            let s = 1 / (1 + vexp16(-a))
            let silu = a * s
            store16(g * silu, dh3 + i)
            store16(g * load16(h3 + i) * (s + silu * (1 - s)), dh1 + i)
            i += 16
        }
        while i < count {
            let a = h1[i], g = dg[i]
            let s = 1 / (1 + exp(-a))
            let silu = a * s
            dh3[i] = g * silu
            dh1[i] = g * h3[i] * (s + silu * (1 - s))
            i += 1
        }
    }

    /// out (+)= w2(silu(w1 x) * w3 x). x: [n, dim]; w1, w3: [hidden, dim]; w2: [dim, hidden];
    /// h1, h3, g: [n, hidden], kept for the backward. accumulate: add into out (residual) instead of writing.
    public static func feedForwardForward(out: UnsafeMutablePointer<Float>, accumulate: Bool,
                                          h1: UnsafeMutablePointer<Float>, h3: UnsafeMutablePointer<Float>,
                                          g: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                                          w1: UnsafePointer<Float>, w2: UnsafePointer<Float>, w3: UnsafePointer<Float>,
                                          n: Int, dim: Int, hidden: Int) {
        gemm(transA: false, transB: true, m: n, n: hidden, k: dim, alpha: 1, a: x, lda: dim, b: w1, ldb: dim,
             beta: 0, c: h1, ldc: hidden)
        gemm(transA: false, transB: true, m: n, n: hidden, k: dim, alpha: 1, a: x, lda: dim, b: w3, ldb: dim,
             beta: 0, c: h3, ldc: hidden)
        swigluForward(g: g, h1: h1, h3: h3, count: n * hidden)
        gemm(transA: false, transB: true, m: n, n: dim, k: hidden, alpha: 1, a: g, lda: hidden, b: w2, ldb: hidden,
             beta: accumulate ? 1 : 0, c: out, ldc: dim)
    }

    /// Backward of feedForwardForward: dx written; dW1, dW2, dW3 added to. scratchA, scratchB: [n, hidden].
    /// g may be scratchB (it is read only before dh3 overwrites scratchB); dx may be x (x is last read
    /// before dx is written).
    public static func feedForwardBackward(dx: UnsafeMutablePointer<Float>, dW1: UnsafeMutablePointer<Float>,
                                           dW2: UnsafeMutablePointer<Float>, dW3: UnsafeMutablePointer<Float>,
                                           dOut: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                           h1: UnsafePointer<Float>, h3: UnsafePointer<Float>, g: UnsafePointer<Float>,
                                           w1: UnsafePointer<Float>, w2: UnsafePointer<Float>, w3: UnsafePointer<Float>,
                                           n: Int, dim: Int, hidden: Int,
                                           scratchA: UnsafeMutablePointer<Float>, scratchB: UnsafeMutablePointer<Float>) {
        let dg = scratchA, dh3 = scratchB
        // dW2 += dOut^T g; dg = dOut w2
        gemm(transA: true, transB: false, m: dim, n: hidden, k: n, alpha: 1, a: dOut, lda: dim, b: g, ldb: hidden,
             beta: 1, c: dW2, ldc: hidden)
        gemm(transA: false, transB: false, m: n, n: hidden, k: dim, alpha: 1, a: dOut, lda: dim, b: w2, ldb: hidden,
             beta: 0, c: dg, ldc: hidden)
        swigluBackward(dh1: dg, dh3: dh3, dg: dg, h1: h1, h3: h3, count: n * hidden)
        let dh1 = UnsafePointer(dg)
        gemm(transA: true, transB: false, m: hidden, n: dim, k: n, alpha: 1, a: dh1, lda: hidden, b: x, ldb: dim,
             beta: 1, c: dW1, ldc: dim)
        gemm(transA: true, transB: false, m: hidden, n: dim, k: n, alpha: 1, a: dh3, lda: hidden, b: x, ldb: dim,
             beta: 1, c: dW3, ldc: dim)
        gemm(transA: false, transB: false, m: n, n: dim, k: hidden, alpha: 1, a: dh1, lda: hidden, b: w1, ldb: dim,
             beta: 0, c: dx, ldc: dim)
        gemm(transA: false, transB: false, m: n, n: dim, k: hidden, alpha: 1, a: dh3, lda: hidden, b: w3, ldb: dim,
             beta: 1, c: dx, ldc: dim)
    }

    // MARK: - Output projection + cross-entropy

    /// Mean over the n rows of -log softmax(x weight^T)[target] (weight: [vocab, dim]), and its gradients,
    /// computed here so the [n, vocab] probabilities are never kept: rows are taken `chunkRows` at a time
    /// through `logits` (chunkRows x vocab floats of scratch); each chunk's dlogits = (softmax - onehot) / n
    /// goes at once into dx ([n, dim], written) and dWeight ([vocab, dim], written). outputBackward scales them.
    /// tokenLoss ([n]) receives each row's -log p[target].
    public static func outputForward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                     targets: UnsafePointer<Int32>, n: Int, dim: Int, vocab: Int,
                                     dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                                     tokenLoss: UnsafeMutablePointer<Float>,
                                     logits: UnsafeMutablePointer<Float>, chunkRows: Int) -> Float {
        let invN = 1 / Float(n)
        var r0 = 0
        while r0 < n {
            let r1 = min(n, r0 + chunkRows), m = r1 - r0
            gemm(transA: false, transB: true, m: m, n: vocab, k: dim, alpha: 1, a: x + r0 * dim, lda: dim,
                 b: weight, ldb: dim, beta: 0, c: logits, ldc: vocab)
            // rows split over the workers: softmax in place, then minus the one-hot target
            let w = min(max(1, workers), maxWorkers, m)
            parallelFor(w) { part, _ in
                for i in (m * part / w)..<(m * (part + 1) / w) {
                    let row = logits + i * vocab, t = Int(targets[r0 + i])
                    let target = row[t]
                    let mx = rowMax(row, vocab)
                    let sum = expShiftSum(row, vocab, mx)
                    scaleInPlace(row, vocab, 1 / sum)
                    row[t] -= 1
                    tokenLoss[r0 + i] = logf(sum) + mx - target
                }
            }
            // dWeight (+)= dlogits^T x; dx = dlogits weight (both with the 1/n of the mean)
            gemm(transA: true, transB: false, m: vocab, n: dim, k: m, alpha: invN, a: logits, lda: vocab,
                 b: x + r0 * dim, ldb: dim, beta: r0 == 0 ? 0 : 1, c: dWeight, ldc: dim)
            gemm(transA: false, transB: false, m: m, n: dim, k: vocab, alpha: invN, a: logits, lda: vocab,
                 b: weight, ldb: dim, beta: 0, c: dx + r0 * dim, ldc: dim)
            r0 = r1
        }
        var total: Double = 0
        for i in 0..<n { total += Double(tokenLoss[i]) }
        return Float(total / Double(n))
    }

    /// Backward of outputForward for loss * lossScale: dx = lossScale * savedDx (written; it may be savedDx),
    /// dWeight += lossScale * savedDWeight.
    public static func outputBackward(dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                                      savedDx: UnsafePointer<Float>, savedDWeight: UnsafePointer<Float>,
                                      n: Int, dim: Int, vocab: Int, lossScale: Float) {
        var i = 0, count = n * dim
        while i + 16 <= count { store16(load16(savedDx + i) * lossScale, dx + i); i += 16 }
        while i < count { dx[i] = savedDx[i] * lossScale; i += 1 }
        i = 0; count = vocab * dim
        while i + 16 <= count {
            store16(load16(dWeight + i) + load16(savedDWeight + i) * lossScale, dWeight + i); i += 16
        }
        while i < count { dWeight[i] += savedDWeight[i] * lossScale; i += 1 }
    }
}

@inline(__always) func Foundation_pow(_ a: Double, _ b: Double) -> Double { pow(a, b) }
