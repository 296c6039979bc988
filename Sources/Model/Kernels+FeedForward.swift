import CBLAS
import CKernels
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// SwiGLU feed-forward.
extension Kernels {
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
        if useAVX2 { ck_swiglu_forward(g, h1, h3, count); return }
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

    /// The SwiGLU backward in place, in one pass over the three buffers: from dg, h1 and h3 it leaves
    /// g = silu(h1) * h3 where dg was (w2's gradient needs it), dh3 = dg * silu(h1) where h1 was and
    /// dh1 = dg * h3 * silu'(h1) where h3 was. Done with h1 and h3, the backward needs no buffer for
    /// dh1 and dh3 and no second pass to recompute g.
    public static func swigluBackward(dgToG: UnsafeMutablePointer<Float>, h1ToDh3: UnsafeMutablePointer<Float>,
                                      h3ToDh1: UnsafeMutablePointer<Float>, count: Int) {
        parallelChunks(count) { lo, hi in
            swigluBackwardRange(dgToG: dgToG + lo, h1ToDh3: h1ToDh3 + lo, h3ToDh1: h3ToDh1 + lo, count: hi - lo)
        }
    }

    static func swigluBackwardRange(dgToG: UnsafeMutablePointer<Float>, h1ToDh3: UnsafeMutablePointer<Float>,
                                    h3ToDh1: UnsafeMutablePointer<Float>, count: Int) {
        if useAVX2 { ck_swiglu_backward(dgToG, h1ToDh3, h3ToDh1, count); return }
        var i = 0
        while i + 16 <= count {
            let a = load16(h1ToDh3 + i), d = load16(dgToG + i), h3 = load16(h3ToDh1 + i)
            let s = 1 / (1 + vexp16(-a))
            let silu = a * s
            store16(silu * h3, dgToG + i)
            store16(d * silu, h1ToDh3 + i)
            store16(d * h3 * (s + silu * (1 - s)), h3ToDh1 + i)
            i += 16
        }
        while i < count {
            let a = h1ToDh3[i], d = dgToG[i], h3 = h3ToDh1[i]
            let s = 1 / (1 + exp(-a))
            let silu = a * s
            dgToG[i] = silu * h3
            h1ToDh3[i] = d * silu
            h3ToDh1[i] = d * h3 * (s + silu * (1 - s))
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

    /// Backward of feedForwardForward: dx written; dW1, dW2, dW3 added to. It consumes the forward's
    /// h1 and h3 (left holding dh3 and dh1); `scratch` is [n, hidden] (dg, then g). dx may be x (x is
    /// last read before dx is written).
    public static func feedForwardBackward(dx: UnsafeMutablePointer<Float>, dW1: UnsafeMutablePointer<Float>,
                                           dW2: UnsafeMutablePointer<Float>, dW3: UnsafeMutablePointer<Float>,
                                           dOut: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                           h1: UnsafeMutablePointer<Float>, h3: UnsafeMutablePointer<Float>,
                                           w1: UnsafePointer<Float>, w2: UnsafePointer<Float>, w3: UnsafePointer<Float>,
                                           n: Int, dim: Int, hidden: Int, scratch: UnsafeMutablePointer<Float>) {
        // dg = dOut w2; then in place: g over dg, dh3 over h1, dh1 over h3
        gemm(transA: false, transB: false, m: n, n: hidden, k: dim, alpha: 1, a: dOut, lda: dim, b: w2, ldb: hidden,
             beta: 0, c: scratch, ldc: hidden)
        swigluBackward(dgToG: scratch, h1ToDh3: h1, h3ToDh1: h3, count: n * hidden)
        let g = UnsafePointer(scratch), dh1 = UnsafePointer(h3), dh3 = UnsafePointer(h1)
        gemm(transA: true, transB: false, m: dim, n: hidden, k: n, alpha: 1, a: dOut, lda: dim, b: g, ldb: hidden,
             beta: 1, c: dW2, ldc: hidden)
        gemm(transA: true, transB: false, m: hidden, n: dim, k: n, alpha: 1, a: dh1, lda: hidden, b: x, ldb: dim,
             beta: 1, c: dW1, ldc: dim)
        gemm(transA: true, transB: false, m: hidden, n: dim, k: n, alpha: 1, a: dh3, lda: hidden, b: x, ldb: dim,
             beta: 1, c: dW3, ldc: dim)
        gemm(transA: false, transB: false, m: n, n: dim, k: hidden, alpha: 1, a: dh1, lda: hidden, b: w1, ldb: dim,
             beta: 0, c: dx, ldc: dim)
        gemm(transA: false, transB: false, m: n, n: dim, k: hidden, alpha: 1, a: dh3, lda: hidden, b: w3, ldb: dim,
             beta: 1, c: dx, ldc: dim)
    }
}
