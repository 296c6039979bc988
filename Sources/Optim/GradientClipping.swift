/// Gradient-norm clipping in two halves, so a sharded caller can sum its local squares, all-reduce
/// the sums across ranks, and then clip with the global norm.
public enum GradientClipping {
    /// The sum of squares of `g`, accumulated in Double: each element is widened, so its square
    /// is exact, and 16 Double lanes share the sum (error about 1e-16 relative), at memory speed.
    public static func sumOfSquares(_ g: UnsafeBufferPointer<Float>) -> Double {
        let n = g.count
        guard n > 0, let base = g.baseAddress else { return 0 }
        typealias D = SIMD4<Double>
        var a0 = D(), a1 = D(), a2 = D(), a3 = D()
        var i = 0
        while i + 16 <= n {
            let x0 = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
            let x1 = UnsafeRawPointer(base + i + 8).loadUnaligned(as: SIMD8<Float>.self)
            let d0 = D(x0.lowHalf), d1 = D(x0.highHalf), d2 = D(x1.lowHalf), d3 = D(x1.highHalf)
            a0 += d0 * d0
            a1 += d1 * d1
            a2 += d2 * d2
            a3 += d3 * d3
            i += 16
        }
        var total = ((a0 + a1) + (a2 + a3)).sum()
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
