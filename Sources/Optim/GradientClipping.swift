/// Gradient-norm clipping in two halves, so a sharded caller can sum its local squares, all-reduce
/// the sums across ranks, and then clip with the global norm.
public enum GradientClipping {
    /// The sum of squares of `g`. Blocks of 256 elements are summed in Float (8 lanes x 4
    /// accumulators, so each Float partial sum adds only 8 products), then accumulated in Double:
    /// relative error about 1e-7, at memory speed.
    public static func sumOfSquares(_ g: UnsafeBufferPointer<Float>) -> Double {
        let n = g.count
        guard n > 0, let base = g.baseAddress else { return 0 }
        typealias V = SIMD8<Float>
        let block = 256
        var total = 0.0
        var i = 0
        while i + block <= n {
            var a0 = V(), a1 = V(), a2 = V(), a3 = V()
            var j = i
            let end = i + block
            while j < end {
                let x0 = UnsafeRawPointer(base + j).loadUnaligned(as: V.self)
                let x1 = UnsafeRawPointer(base + j + 8).loadUnaligned(as: V.self)
                let x2 = UnsafeRawPointer(base + j + 16).loadUnaligned(as: V.self)
                let x3 = UnsafeRawPointer(base + j + 24).loadUnaligned(as: V.self)
                a0 = a0 + x0 * x0
                a1 = a1 + x1 * x1
                a2 = a2 + x2 * x2
                a3 = a3 + x3 * x3
                j += 32
            }
            let s = (a0 + a1) + (a2 + a3)
            var d = SIMD8<Double>()
            for k in 0..<8 { d[k] = Double(s[k]) }
            total += d.sum()
            i = end
        }
        while i < n {
            let x = Double(base[i])
            total += x * x
            i += 1
        }
        return total
    }

    /// torch.nn.utils.clip_grad_norm_: coef = maxNorm / (totalNorm + 1e-6), clamped to at most 1;
    /// `g` is scaled in place when coef < 1 (or NaN, as torch multiplies by it). Returns the
    /// clamped coefficient. `totalNorm` is the global L2 norm (sqrt of the summed squares).
    @discardableResult
    public static func clip(_ g: UnsafeMutableBufferPointer<Float>, totalNorm: Double, maxNorm: Double) -> Float {
        let raw = Float(maxNorm / (totalNorm + 1e-6))
        let coef = raw.isNaN ? raw : min(raw, 1)
        guard !(coef >= 1), let base = g.baseAddress else { return coef }
        scale(UnsafeMutableBufferPointer(start: base, count: g.count), by: coef)
        return coef
    }

    /// Multiplies every element by `factor`.
    public static func scale(_ g: UnsafeMutableBufferPointer<Float>, by factor: Float) {
        guard let base = g.baseAddress else { return }
        let n = g.count
        typealias V = SIMD8<Float>
        let f = V(repeating: factor)
        var i = 0
        while i + 8 <= n {
            let x = UnsafeRawPointer(base + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(base + i).storeBytes(of: x * f, as: V.self)
            i += 8
        }
        while i < n {
            base[i] *= factor
            i += 1
        }
    }
}
