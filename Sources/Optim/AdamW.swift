import RunSpec
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if arch(x86_64) && canImport(_Builtin_intrinsics.intel)
import _Builtin_intrinsics.intel // _mm_sqrt_ps, see packedSquareRoot
#endif

/// torch.optim.AdamW (single-tensor semantics, amsgrad off, maximize off) over one flat buffer.
///
/// Per element, with t the step count after incrementing:
///     p *= 1 - lr*wd
///     m  = b1*m + (1-b1)*g
///     v  = b2*v + (1-b2)*g*g
///     p += -(lr/bc1) * (m / (sqrt(v)/sqrt(bc2) + eps)),   bc1 = 1 - b1^t, bc2 = 1 - b2^t
/// The scalars (1 - lr*wd, lr/bc1, sqrt(bc2)) are computed in Double and rounded to Float once,
/// as torch does with its Python-float scalars. Each element's arithmetic is the same whether it
/// falls in a SIMD block or in the tail, so a step over shards equals a step over the whole
/// buffer bit for bit, whatever the shard boundaries.
public final class AdamW {
    public var config: AdamWConfig
    /// First and second moments, owned by the caller.
    public let m: UnsafeMutableBufferPointer<Float>
    public let v: UnsafeMutableBufferPointer<Float>
    /// Steps taken so far; set it when resuming from a checkpoint.
    public var stepCount: Int = 0

    /// `m` and `v` (the same count) are the caller's, e.g. allocated in its memory ledger as
    /// optimizer state, zero-filled for a fresh run or loaded from a checkpoint.
    public init(config: AdamWConfig, m: UnsafeMutableBufferPointer<Float>,
                v: UnsafeMutableBufferPointer<Float>) {
        precondition(m.count == v.count, "AdamW: m has \(m.count) elements, v has \(v.count)")
        self.config = config
        self.m = m
        self.v = v
    }

    public var count: Int { m.count }

    /// Runs body(part, parts) for every part, possibly at once on several threads (Llama.onLaneThreads).
    public typealias Parts = (_ body: (_ part: Int, _ parts: Int) -> Void) -> Void

    /// One step at learning rate `lr` (the schedule's value for this step). `parts` may spread the
    /// element-wise update over threads: the result is the same bit for bit (see above).
    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                     lr: Float, parts: Parts = { $0(0, 1) }) {
        let n = m.count
        precondition(parameters.count == n && gradients.count == n,
                     "AdamW.step: \(parameters.count) parameters, \(gradients.count) gradients, state for \(n)")
        stepCount += 1
        let t = Double(stepCount)
        let lrD = Double(lr)
        let b1 = config.beta1, b2 = config.beta2
        let bc1 = 1 - pow(Double(b1), t)
        let bc2 = 1 - pow(Double(b2), t)
        let decay = Float(1 - lrD * Double(config.weightDecay))
        let negStepSize = Float(-(lrD / bc1))
        let bc2Sqrt = Float(bc2.squareRoot())
        let omb1 = Float(1 - Double(b1)), omb2 = Float(1 - Double(b2))
        let eps = config.eps
        guard n > 0 else { return }

        let p = parameters.baseAddress!, g = gradients.baseAddress!
        let mp = m.baseAddress!, vp = v.baseAddress!
        parts { part, count in
            let lo = n * part / count, hi = n * (part + 1) / count
            Self.update(p + lo, g + lo, mp + lo, vp + lo, count: hi - lo, decay: decay, negStepSize: negStepSize,
                        bc2Sqrt: bc2Sqrt, b1: b1, b2: b2, omb1: omb1, omb2: omb2, eps: eps)
        }
    }

    /// The update of `n` elements from p, g, mp, vp with the step's scalars.
    private static func update(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                               _ mp: UnsafeMutablePointer<Float>, _ vp: UnsafeMutablePointer<Float>, count n: Int,
                               decay: Float, negStepSize: Float, bc2Sqrt: Float, b1: Float, b2: Float,
                               omb1: Float, omb2: Float, eps: Float) {

        typealias V = SIMD8<Float>
        let decayV = V(repeating: decay), negStepV = V(repeating: negStepSize)
        let bc2V = V(repeating: bc2Sqrt), epsV = V(repeating: eps)
        let b1V = V(repeating: b1), b2V = V(repeating: b2)
        let omb1V = V(repeating: omb1), omb2V = V(repeating: omb2)
        let width = V.scalarCount
        var i = 0
        while i + width <= n {
            let gi = UnsafeRawPointer(g + i).loadUnaligned(as: V.self)
            var pi = UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
            var mi = UnsafeRawPointer(mp + i).loadUnaligned(as: V.self)
            var vi = UnsafeRawPointer(vp + i).loadUnaligned(as: V.self)
            pi = pi * decayV
            mi = b1V * mi + omb1V * gi
            vi = b2V * vi + omb2V * (gi * gi)
            let denom = packedSquareRoot(vi) / bc2V + epsV
            pi = pi + negStepV * (mi / denom)
            UnsafeMutableRawPointer(p + i).storeBytes(of: pi, as: V.self)
            UnsafeMutableRawPointer(mp + i).storeBytes(of: mi, as: V.self)
            UnsafeMutableRawPointer(vp + i).storeBytes(of: vi, as: V.self)
            i += width
        }
        // The tail: the same operations one element at a time (IEEE square root and division are
        // correctly rounded either way, so the results match the SIMD lanes bit for bit).
        while i < n {
            let gi = g[i]
            var pi = p[i], mi = mp[i], vi = vp[i]
            pi = pi * decay
            mi = b1 * mi + omb1 * gi
            vi = b2 * vi + omb2 * (gi * gi)
            let denom = vi.squareRoot() / bc2Sqrt + eps
            pi = pi + negStepSize * (mi / denom)
            p[i] = pi
            mp[i] = mi
            vp[i] = vi
            i += 1
        }
    }
}

// Swift's SIMD8<Float>.squareRoot() compiles to eight scalar square roots, which made the step
// compute-bound (13 ms instead of memory speed); SSE's packed square root is exact too.
#if arch(x86_64) && canImport(_Builtin_intrinsics.intel)
@inline(__always)
func packedSquareRoot(_ x: SIMD8<Float>) -> SIMD8<Float> {
    SIMD8(lowHalf: _mm_sqrt_ps(x.lowHalf), highHalf: _mm_sqrt_ps(x.highHalf))
}
#else
@inline(__always)
func packedSquareRoot(_ x: SIMD8<Float>) -> SIMD8<Float> { x.squareRoot() }
#endif
