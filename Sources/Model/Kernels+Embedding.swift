import CBLAS
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Token embedding and RMSNorm.
extension Kernels {
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
}
