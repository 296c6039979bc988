import CBLAS
import CKernels
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The backward of the causal attention.
extension Kernels {

    /// Backward of attentionForward: writes dqkv (all of it; gradients w.r.t. the rotated q and k).
    /// Pass the same `probabilities`/`rowScale` as the forward, or nil for both to recompute from lse.
    public static func attentionBackward(dqkv: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                                         out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                         qkv: UnsafePointer<Float>, batch: Int, seqLen T: Int, heads: Int,
                                         kvHeads: Int, headDim hd: Int, scratch: UnsafeMutablePointer<Float>,
                                         blockRows requestedBlockRows: Int = attentionBlockRows,
                                         probabilities: UnsafePointer<Float>? = nil,
                                         rowScale: UnsafePointer<Float>? = nil) {
        let shape = AttentionShape(batch: batch, seqLen: T, heads: heads, kvHeads: kvHeads, headDim: hd,
                                   blockRows: requestedBlockRows, kept: probabilities != nil)
        shape.forEachGroup(scratch: scratch) { b, group, work in
            let (C, KV, W) = (shape.C, shape.KV, shape.W)
            // dk and dv of this group are accumulated over query blocks and over the heads sharing them
            // (the AVX2 kernel writes them for the group's first head, so they need no zeroing there).
            if !shape.avx2 {
                for t in 0..<T {
                    let row = dqkv + (b * T + t) * W
                    (row + C + group * hd).update(repeating: 0, count: hd)
                    (row + C + KV + group * hd).update(repeating: 0, count: hd)
                }
            }
            for h in shape.heads(of: group) {
                if shape.avx2 {
                    let base = qkv + b * T * W, dbase = dqkv + b * T * W, o = b * T * C + h * hd
                    let accumulate: Int32 = h == shape.heads(of: group).lowerBound ? 0 : 1
                    ck_attention_backward_head(dbase + h * hd, dbase + C + group * hd, dbase + C + KV + group * hd,
                                               dOut + o, out + o, Int32(C), lse + (b * heads + h) * T,
                                               base + h * hd, base + C + group * hd, base + C + KV + group * hd,
                                               Int32(W), Int32(T), Int32(hd), accumulate, work)
                    continue
                }
                attentionBackwardHead(dqkv: dqkv, dOut: dOut, out: out, lse: lse, qkv: qkv, b: b, h: h, seqLen: T,
                                      heads: heads, kvHeads: kvHeads, headDim: hd, scratch: work,
                                      blockRows: requestedBlockRows,
                                      probabilities: probabilities.map { $0 + (b * heads + h) * shape.perHead },
                                      rowScale: rowScale)
            }
        }
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
}
