import CBLAS
import Model
import ModelShape
import XCTest

/// CKernels' AVX2/FMA kernels against the portable Swift ones (Kernels.useAVX2 false) at shapes with tails:
/// head dimension 16 (the debugmodel's; the attention also at 8 and 32), sequence lengths that are not multiples of
/// the 4-row query blocks or the 16-key tiles, counts that are not multiples of 8. Skipped without AVX2.
final class AVX2KernelTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Kernels.useAVX2, "this CPU has no AVX2/FMA: the Swift kernels are the only path")
        openblas_set_num_threads(1)
    }

    override func tearDown() { Kernels.useAVX2 = true }

    func assertClose(_ a: [Float], _ b: [Float], _ what: String, relative: Float = 1e-5) {
        XCTAssertEqual(a.count, b.count, what)
        let scale = b.map { abs($0) }.max() ?? 0
        XCTAssertGreaterThan(scale, 0, "\(what) is all zeros")
        for i in 0..<min(a.count, b.count) where !(abs(a[i] - b[i]) <= relative * scale) {
            XCTFail("\(what)[\(i)]: AVX2 \(a[i]) vs Swift \(b[i])"); return
        }
    }

    func testAttentionMatchesSwiftKernels() {
        var rng = TestRandom(11)
        // The AVX2 forward shifts the scores by 0 where the bound scale |q| max|k| is at most 64, else by each
        // row's maximum: input scale 1 keeps every row under the bound, 10 puts most rows over it, 6 some.
        // Head dimensions: the debugmodel's 16, and the kernel's other two (8, 32).
        let cases = [(37, Float(1), false, 16), (70, 6, true, 16), (70, 10, true, 16), (1, 1, false, 16),
                     (37, 1, false, 8), (29, 10, true, 8), (37, 1, false, 32), (70, 10, true, 32)]
        for (T, inputScale, overBound, hd) in cases {
            let batch = 2, heads = 4, kvHeads = 2, W = (heads + 2 * kvHeads) * hd, C = heads * hd
            let qkv = rng.floats(batch * T * W, scale: inputScale), dOut = rng.floats(batch * T * C)
            XCTAssertEqual(largestScoreBound(qkv, rows: batch * T, width: W, queries: C, keys: kvHeads * hd, headDim: hd) > 64,
                           overBound, "input scale \(inputScale) does not test the shift it is meant to")
            var scratch = [Float](repeating: .nan, count: ModelSizes.attentionScratchCount(seqLen: T, headDim: hd))
            func run(_ avx2: Bool) -> [[Float]] {
                Kernels.useAVX2 = avx2
                var out = [Float](repeating: .nan, count: batch * T * C)
                var lse = [Float](repeating: .nan, count: batch * heads * T)
                var dqkv = [Float](repeating: .nan, count: batch * T * W)
                Kernels.attentionForward(out: &out, lse: &lse, qkv: qkv, batch: batch, seqLen: T, heads: heads,
                                         kvHeads: kvHeads, headDim: hd, scratch: &scratch)
                Kernels.attentionBackward(dqkv: &dqkv, dOut: dOut, out: out, lse: lse, qkv: qkv, batch: batch,
                                          seqLen: T, heads: heads, kvHeads: kvHeads, headDim: hd, scratch: &scratch)
                return [out, lse, dqkv]
            }
            let fast = run(true), portable = run(false)
            for (i, name) in ["out", "lse", "dqkv"].enumerated() {
                assertClose(fast[i], portable[i], "attention \(name) (seqLen \(T), input scale \(inputScale), head dim \(hd))")
            }
        }
    }

    /// The largest scale |q| |k| over the query and key heads of a qkv buffer ([q | k | v] rows of `width`).
    func largestScoreBound(_ qkv: [Float], rows: Int, width: Int, queries: Int, keys: Int, headDim hd: Int) -> Float {
        var (q, k): (Float, Float) = (0, 0)
        for row in 0..<rows {
            for h in 0..<((queries + keys) / hd) {
                let norm = (0..<hd).map { qkv[row * width + h * hd + $0] }.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if h * hd < queries { q = max(q, norm) } else { k = max(k, norm) }
            }
        }
        return q * k / Float(hd).squareRoot()
    }

    func testRoPEMatchesSwiftKernels() {
        var rng = TestRandom(14)
        let batch = 2, T = 13, heads = 3, hd = 16, stride = heads * hd + 5   // rows wider than the heads
        var table = [Float](repeating: 0, count: T * hd)
        Kernels.fillRopeTable(&table, maxSeqLen: T, headDim: hd, theta: 10000)
        let x = rng.floats(batch * T * stride)
        for inverse in [false, true] {
            func run(_ avx2: Bool) -> [Float] {
                Kernels.useAVX2 = avx2
                var y = x
                Kernels.rope(&y, rowStride: stride, batch: batch, seqLen: T, heads: heads, headDim: hd, table: table,
                             inverse: inverse)
                return y
            }
            assertClose(run(true), run(false), "rope (inverse \(inverse))")
        }
    }

    func testSwiGLUMatchesSwiftKernels() {
        var rng = TestRandom(12)
        let count = 1003
        let h1 = rng.floats(count, scale: 6), h3 = rng.floats(count), dg = rng.floats(count)
        func run(_ avx2: Bool) -> [[Float]] {
            Kernels.useAVX2 = avx2
            var g = [Float](repeating: .nan, count: count)
            Kernels.swigluForward(g: &g, h1: h1, h3: h3, count: count)
            var gAgain = dg, dh3 = h1, dh1 = h3   // the backward works in place
            Kernels.swigluBackward(dgToG: &gAgain, h1ToDh3: &dh3, h3ToDh1: &dh1, count: count)
            XCTAssertEqual(gAgain, g, "the backward's g is the forward's (AVX2 \(avx2))")
            return [g, dh1, dh3]
        }
        let fast = run(true), portable = run(false)
        for (i, name) in ["g", "dh1", "dh3"].enumerated() { assertClose(fast[i], portable[i], "swiglu \(name)") }
    }

    func testSoftmaxCrossEntropyMatchesSwiftKernels() {
        var rng = TestRandom(13)
        let n = 21, dim = 24, vocab = 203   // vocab: a tail of 3 after the 8-lane groups
        let x = rng.floats(n * dim, scale: 3), weight = rng.floats(vocab * dim), targets = rng.tokens(n, vocab: vocab)
        func run(_ avx2: Bool) -> [[Float]] {
            Kernels.useAVX2 = avx2
            var dx = [Float](repeating: .nan, count: n * dim), dW = [Float](repeating: .nan, count: vocab * dim)
            var tokenLoss = [Float](repeating: .nan, count: n), logits = [Float](repeating: .nan, count: 8 * vocab)
            let loss = Kernels.outputForward(x: x, weight: weight, targets: targets, n: n, dim: dim, vocab: vocab,
                                             dx: &dx, dWeight: &dW, tokenLoss: &tokenLoss, logits: &logits, chunkRows: 8)
            return [[loss], tokenLoss, dx, dW]
        }
        let fast = run(true), portable = run(false)
        for (i, name) in ["loss", "tokenLoss", "dx", "dWeight"].enumerated() {
            assertClose(fast[i], portable[i], "output \(name)")
        }
    }
}
