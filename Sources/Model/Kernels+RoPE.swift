import CBLAS
import CKernels
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Rotary position embedding.
extension Kernels {
    // MARK: - RoPE

    /// In place on rows of `x`: token (b, t) is the row at x + (b * seqLen + t) * rowStride, holding `heads`
    /// heads of headDim features; pair (2k, 2k+1) of each head at position t is rotated by t * freq_k.
    /// `table` is a RopeTable's cos/sin pairs: table[(t * headDim/2 + k) * 2 + 0/1] = cos/sin.
    /// inverse: rotate by -angle (the backward of the rotation).
    public static func rope(_ x: UnsafeMutablePointer<Float>, rowStride: Int, batch: Int, seqLen: Int,
                            heads: Int, headDim: Int, table: UnsafePointer<Float>, inverse: Bool) {
        if useAVX2 && headDim % 8 == 0 {
            ck_rope(x, rowStride, Int32(batch), Int32(seqLen), Int32(heads), Int32(headDim), table, inverse ? 1 : 0)
            return
        }
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
}
