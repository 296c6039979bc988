import CBLAS
import CKernels
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Output projection + cross-entropy.
extension Kernels {
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
                    if useAVX2 {
                        tokenLoss[r0 + i] = ck_softmax_cross_entropy_row(row, Int32(vocab), Int32(t))
                        continue
                    }
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
