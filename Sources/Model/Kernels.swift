import CBLAS
import CKernels
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

    /// Whether the attention core, SwiGLU, RoPE and the softmax cross-entropy run through the AVX2/FMA kernels
    /// (CKernels) instead of the portable Swift ones (built for baseline x86-64: SSE2): true where the CPU has
    /// AVX2 and FMA. Settable so tests and benchmarks can compare the two.
    nonisolated(unsafe) public static var useAVX2 = ck_avx2_available() != 0

    // MARK: - GEMM

    /// C = alpha * op(A) op(B) + beta * C, row-major (cblas_sgemm). The call's wall time and its 2mnk
    /// FLOPs go to the calling thread's GEMM tally when it has one (a lane's forward or backward outside
    /// the attention core: `GemmTally`), at the cost of two clock reads.
    @inline(__always)
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let profiling = GemmProfile.enabled && !GemmProfile.inAttention
        let tally = ck_gemm_tally_current()
        let start = profiling || tally != nil ? monotonicSeconds() : 0
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        if profiling || tally != nil {
            let t = monotonicSeconds() - start
            if let tally {
                tally.pointee.seconds += t
                tally.pointee.flops += 2 * Double(m) * Double(n) * Double(k)
            }
            if profiling {
                GemmProfile.seconds += t
                GemmProfile.calls += 1
            }
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

    /// body() with OpenBLAS held to one thread: threads that each call sgemm at once must not all try
    /// to use its thread pool (with several callers it serialises and spins).
    static func withOneBLASThread(_ body: () -> Void) {
        let blasThreads = openblas_get_num_threads()
        if blasThreads != 1 { openblas_set_num_threads(1) }
        body()
        if blasThreads != 1 { openblas_set_num_threads(blasThreads) }
    }

    /// into[i] += from[i]; from[i] = 0, for i < n.
    static func addAndClear(into: UnsafeMutablePointer<Float>, from: UnsafeMutablePointer<Float>, count n: Int) {
        let zero = Vec16(repeating: 0)
        var i = 0
        while i + 16 <= n { store16(load16(into + i) + load16(from + i), into + i); store16(zero, from + i); i += 16 }
        while i < n { into[i] += from[i]; from[i] = 0; i += 1 }
    }

}

@inline(__always) func Foundation_pow(_ a: Double, _ b: Double) -> Double { pow(a, b) }
