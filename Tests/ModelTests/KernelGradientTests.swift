import CBLAS
import Model
import ModelShape
import XCTest

/// Each layer kind in isolation: forward against the double reference, and the gradients w.r.t. its input
/// (and weights) against double-precision central differences of the reference forward (see Ref, assertGradient).
final class KernelGradientTests: XCTestCase {
    override func setUp() { openblas_set_num_threads(1) }

    func testEmbedding() {
        var rng = TestRandom(1)
        let vocab = 30, dim = 20, n = 12
        let table = rng.floats(vocab * dim)
        var tokens = rng.tokens(n, vocab: vocab)
        tokens[5] = tokens[2]   // a repeated token: its gradient rows add up
        var out = [Float](repeating: 0, count: n * dim)
        Kernels.embeddingForward(out: &out, tokens: tokens, table: table, n: n, dim: dim)
        XCTAssertEqual(out.doubles, Ref.embedding(table: table.doubles, tokens: tokens, dim: dim))
        let r = rng.floats(n * dim)
        var dTable = [Float](repeating: 0, count: vocab * dim)
        Kernels.embeddingBackward(dTable: &dTable, dOut: r, tokens: tokens, n: n, dim: dim)
        let used = Array(Set(tokens.map(Int.init))).sorted()
        let indices = used.flatMap { t in (0..<dim).map { t * dim + $0 } } + [Int((0..<vocab).first { !used.contains($0) }!) * dim]
        assertGradient("embedding.dTable", analytic: dTable, indices: indices) { j in
            Ref.finiteDifference(table.doubles, j) { Ref.dot(Ref.embedding(table: $0, tokens: tokens, dim: dim), r.doubles) }
        }
    }

    func testRMSNorm() {
        var rng = TestRandom(2)
        let n = 5, dim = 40, eps: Float = 1e-5
        let x = rng.floats(n * dim, scale: 2), weight = rng.floats(dim).map { 1 + 0.5 * $0 }
        var out = [Float](repeating: 0, count: n * dim), rstd = [Float](repeating: 0, count: n)
        Kernels.rmsNormForward(out: &out, rstd: &rstd, x: x, weight: weight, n: n, dim: dim, eps: eps)
        let ref = Ref.rmsNorm(x.doubles, weight: weight.doubles, dim: dim, eps: Double(eps))
        for i in 0..<out.count { XCTAssertEqual(Double(out[i]), ref[i], accuracy: 1e-5) }
        let r = rng.floats(n * dim)
        var dx = [Float](repeating: 0, count: n * dim), dw = [Float](repeating: 0, count: dim)
        Kernels.rmsNormBackward(dx: &dx, accumulate: false, dWeight: &dw, dOut: r, x: x, rstd: rstd, weight: weight,
                                n: n, dim: dim)
        assertGradient("rmsnorm.dx", analytic: dx, indices: Array(0..<(n * dim))) { j in
            Ref.finiteDifference(x.doubles, j) { Ref.dot(Ref.rmsNorm($0, weight: weight.doubles, dim: dim, eps: Double(eps)), r.doubles) }
        }
        assertGradient("rmsnorm.dWeight", analytic: dw, indices: Array(0..<dim)) { j in
            Ref.finiteDifference(weight.doubles, j) { Ref.dot(Ref.rmsNorm(x.doubles, weight: $0, dim: dim, eps: Double(eps)), r.doubles) }
        }
        // accumulate: true adds into dx
        var dx2 = [Float](repeating: 1, count: n * dim), dw2 = [Float](repeating: 0, count: dim)
        Kernels.rmsNormBackward(dx: &dx2, accumulate: true, dWeight: &dw2, dOut: r, x: x, rstd: rstd, weight: weight,
                                n: n, dim: dim)
        for i in 0..<dx.count { XCTAssertEqual(dx2[i], dx[i] + 1, accuracy: 1e-5) }
    }

    /// RoPE + causal attention + GQA over a [q | k | v] buffer, several query blocks (the last one partial).
    func runAttention(qkv: [Float], batch: Int, seqLen: Int, heads: Int, kvHeads: Int, headDim: Int, theta: Double,
                      blockRows: Int, dOut: [Float]?, keep: Bool = false) -> (out: [Float], dqkv: [Float]) {
        let W = (heads + 2 * kvHeads) * headDim, C = heads * headDim, n = batch * seqLen
        var table = [Float](repeating: 0, count: seqLen * headDim)
        Kernels.fillRopeTable(&table, maxSeqLen: seqLen, headDim: headDim, theta: theta)
        var rotated = qkv
        Kernels.rope(&rotated, rowStride: W, batch: batch, seqLen: seqLen, heads: heads + kvHeads, headDim: headDim,
                     table: table, inverse: false)
        var out = [Float](repeating: 0, count: n * C), lse = [Float](repeating: 0, count: batch * heads * seqLen)
        var scratch = [Float](repeating: .nan, count: ModelSizes.attentionScratchCount(seqLen: seqLen, headDim: headDim,
                                                                                   blockRows: blockRows))
        let probCount = ModelSizes.attentionProbabilityCount(batch: batch, seqLen: seqLen, heads: heads, blockRows: blockRows)
        let probs = UnsafeMutablePointer<Float>.allocate(capacity: probCount)
        let rowScale = UnsafeMutablePointer<Float>.allocate(capacity: batch * heads * seqLen)
        probs.initialize(repeating: .nan, count: probCount)
        rowScale.initialize(repeating: .nan, count: batch * heads * seqLen)
        defer { probs.deallocate(); rowScale.deallocate() }
        let pp: UnsafeMutablePointer<Float>? = keep ? probs : nil
        let rp: UnsafeMutablePointer<Float>? = keep ? rowScale : nil
        Kernels.attentionForward(out: &out, lse: &lse, qkv: rotated, batch: batch, seqLen: seqLen, heads: heads,
                                 kvHeads: kvHeads, headDim: headDim, scratch: &scratch, blockRows: blockRows,
                                 probabilities: pp, rowScale: rp)
        guard let dOut else { return (out, []) }
        var dqkv = [Float](repeating: .nan, count: n * W)   // every entry must be written
        Kernels.attentionBackward(dqkv: &dqkv, dOut: dOut, out: out, lse: lse, qkv: rotated, batch: batch,
                                  seqLen: seqLen, heads: heads, kvHeads: kvHeads, headDim: headDim, scratch: &scratch,
                                  blockRows: blockRows, probabilities: pp.map { UnsafePointer($0) },
                                  rowScale: rp.map { UnsafePointer($0) })
        Kernels.rope(&dqkv, rowStride: W, batch: batch, seqLen: seqLen, heads: heads + kvHeads, headDim: headDim,
                     table: table, inverse: true)
        return (out, dqkv)
    }

    func testAttentionWithRoPEAndGQA() {
        var rng = TestRandom(3)
        let batch = 2, T = 11, heads = 4, kvHeads = 2, hd = 8, theta = 10000.0
        let W = (heads + 2 * kvHeads) * hd, C = heads * hd
        // scale 1.5: scores small enough that the forward skips the row max; scale 12: large scores, row max used
        for inputScale: Float in [1.5, 12] {
        let qkv = rng.floats(batch * T * W, scale: inputScale)
        let r = rng.floats(batch * T * C)
        let ref = Ref.attention(qkv: qkv.doubles, batch: batch, seqLen: T, heads: heads, kvHeads: kvHeads, headDim: hd, theta: theta)
        // blocks of 4 query rows (the last one partial) and a single block; probabilities kept or recomputed
        for (blockRows, keep) in [(4, false), (4, true), (64, false), (64, true)] {
            let (out, dqkv) = runAttention(qkv: qkv, batch: batch, seqLen: T, heads: heads, kvHeads: kvHeads, headDim: hd,
                                           theta: theta, blockRows: blockRows, dOut: r, keep: keep)
            for i in 0..<out.count { XCTAssertEqual(Double(out[i]), ref[i], accuracy: 1e-5 * Double(inputScale), "out[\(i)] blockRows \(blockRows)") }
            assertGradient("attention.dqkv(blockRows \(blockRows), keep \(keep))", analytic: dqkv, indices: Array(0..<dqkv.count)) { j in
                Ref.finiteDifference(qkv.doubles, j) {
                    Ref.dot(Ref.attention(qkv: $0, batch: batch, seqLen: T, heads: heads, kvHeads: kvHeads, headDim: hd,
                                          theta: theta), r.doubles)
                }
            }
        }
        }
    }

    /// The attention and element-wise kernels split over several threads give the same results.
    func testKernelsOnSeveralThreads() {
        var rng = TestRandom(7)
        let batch = 3, T = 9, heads = 4, kvHeads = 2, hd = 8, W = (heads + 2 * kvHeads) * hd, C = heads * hd
        let qkv = rng.floats(batch * T * W), r = rng.floats(batch * T * C)
        let h1 = rng.floats(5000, scale: 3), h3 = rng.floats(5000), dg = rng.floats(5000)
        func run() -> [[Float]] {
            var results: [[Float]] = []
            for keep in [false, true] {
                let (out, dqkv) = runAttention(qkv: qkv, batch: batch, seqLen: T, heads: heads, kvHeads: kvHeads,
                                               headDim: hd, theta: 10000, blockRows: 4, dOut: r, keep: keep)
                results += [out, dqkv]
            }
            var g = [Float](repeating: 0, count: 5000)
            Kernels.swigluForward(g: &g, h1: h1, h3: h3, count: 5000)
            var gAgain = dg, d3 = h1, d1 = h3
            Kernels.swigluBackward(dgToG: &gAgain, h1ToDh3: &d3, h3ToDh1: &d1, count: 5000)
            return results + [g, gAgain, d1, d3]
        }
        let saved = Kernels.workers
        defer { Kernels.workers = saved }
        Kernels.workers = 1
        let one = run()
        for w in [2, 3] {
            Kernels.workers = w
            XCTAssertEqual(run(), one, "\(w) workers")
        }
    }

    /// Changing the token at position t+1 (its q, k and v) leaves every output at positions <= t unchanged.
    func testAttentionCausalMask() {
        var rng = TestRandom(4)
        let batch = 1, T = 10, heads = 2, kvHeads = 1, hd = 16, W = (heads + 2 * kvHeads) * hd, C = heads * hd
        let qkv = rng.floats(T * W)
        let base = runAttention(qkv: qkv, batch: batch, seqLen: T, heads: heads, kvHeads: kvHeads, headDim: hd,
                                theta: 500000, blockRows: 4, dOut: nil).out
        for t in [0, 3, 4, 8] {
            var changed = qkv
            for c in 0..<W { changed[(t + 1) * W + c] += 1 }
            let out = runAttention(qkv: changed, batch: batch, seqLen: T, heads: heads, kvHeads: kvHeads, headDim: hd,
                                   theta: 500000, blockRows: 4, dOut: nil).out
            XCTAssertEqual(Array(out[0..<((t + 1) * C)]), Array(base[0..<((t + 1) * C)]), "position <= \(t) changed")
            XCTAssertNotEqual(Array(out[((t + 1) * C)..<((t + 2) * C)]), Array(base[((t + 1) * C)..<((t + 2) * C)]))
        }
    }

    func testSwiGLUFeedForward() {
        var rng = TestRandom(5)
        let n = 6, dim = 24, hidden = 40
        let x = rng.floats(n * dim), w1 = rng.floats(hidden * dim, scale: 0.5), w2 = rng.floats(dim * hidden, scale: 0.5)
        let w3 = rng.floats(hidden * dim, scale: 0.5)
        var out = [Float](repeating: 0, count: n * dim)
        var h1 = [Float](repeating: 0, count: n * hidden), h3 = h1, g = h1
        Kernels.feedForwardForward(out: &out, accumulate: false, h1: &h1, h3: &h3, g: &g, x: x, w1: w1, w2: w2, w3: w3,
                                   n: n, dim: dim, hidden: hidden)
        let ref = Ref.feedForward(x.doubles, w1: w1.doubles, w2: w2.doubles, w3: w3.doubles, dim: dim, hidden: hidden)
        for i in 0..<out.count { XCTAssertEqual(Double(out[i]), ref[i], accuracy: 1e-4) }
        let r = rng.floats(n * dim)
        var dx = [Float](repeating: 0, count: n * dim)
        var dW1 = [Float](repeating: 0, count: hidden * dim), dW2 = dW1, dW3 = dW1
        var scratch = [Float](repeating: 0, count: n * hidden)
        Kernels.feedForwardBackward(dx: &dx, dW1: &dW1, dW2: &dW2, dW3: &dW3, dOut: r, x: x, h1: &h1, h3: &h3,
                                    w1: w1, w2: w2, w3: w3, n: n, dim: dim, hidden: hidden, scratch: &scratch)
        func f(_ x: [Double], _ w1: [Double], _ w2: [Double], _ w3: [Double]) -> Double {
            Ref.dot(Ref.feedForward(x, w1: w1, w2: w2, w3: w3, dim: dim, hidden: hidden), r.doubles)
        }
        let (xd, w1d, w2d, w3d) = (x.doubles, w1.doubles, w2.doubles, w3.doubles)
        assertGradient("ffn.dx", analytic: dx, indices: Array(0..<dx.count)) { j in Ref.finiteDifference(xd, j) { f($0, w1d, w2d, w3d) } }
        var s = TestRandom(50)
        let idx = sampleIndices(hidden * dim, 60, &s)
        assertGradient("ffn.dW1", analytic: dW1, indices: idx) { j in Ref.finiteDifference(w1d, j) { f(xd, $0, w2d, w3d) } }
        assertGradient("ffn.dW2", analytic: dW2, indices: idx) { j in Ref.finiteDifference(w2d, j) { f(xd, w1d, $0, w3d) } }
        assertGradient("ffn.dW3", analytic: dW3, indices: idx) { j in Ref.finiteDifference(w3d, j) { f(xd, w1d, w2d, $0) } }
    }

    func testOutputCrossEntropy() {
        var rng = TestRandom(6)
        let n = 6, dim = 24, vocab = 37
        let x = rng.floats(n * dim), w = rng.floats(vocab * dim, scale: 0.7)
        let targets = rng.tokens(n, vocab: vocab)
        // chunks of 4 rows (the last one partial): the gradients are accumulated over chunks
        var logits = [Float](repeating: .nan, count: 4 * vocab), tokenLoss = [Float](repeating: .nan, count: n)
        var savedDx = [Float](repeating: .nan, count: n * dim), savedDW = [Float](repeating: .nan, count: vocab * dim)
        let loss = Kernels.outputForward(x: x, weight: w, targets: targets, n: n, dim: dim, vocab: vocab,
                                         dx: &savedDx, dWeight: &savedDW, tokenLoss: &tokenLoss,
                                         logits: &logits, chunkRows: 4)
        let refLoss = Ref.outputCrossEntropy(x.doubles, weight: w.doubles, targets: targets, dim: dim, vocab: vocab)
        XCTAssertEqual(Double(loss), refLoss, accuracy: 1e-5 * refLoss)
        XCTAssertEqual(Double(tokenLoss.reduce(0, +)) / Double(n), refLoss, accuracy: 1e-5 * refLoss)
        // lossScale 0.5 and a gradient already in dW: dx = 0.5 dLoss/dx, dW = 1 + 0.5 dLoss/dW
        var dx = [Float](repeating: .nan, count: n * dim), dW = [Float](repeating: 1, count: vocab * dim)
        Kernels.outputBackward(dx: &dx, dWeight: &dW, savedDx: savedDx, savedDWeight: savedDW, n: n, dim: dim,
                               vocab: vocab, lossScale: 0.5)
        dx = dx.map { $0 * 2 }; dW = dW.map { ($0 - 1) * 2 }
        assertGradient("output.dx", analytic: dx, indices: Array(0..<dx.count)) { j in
            Ref.finiteDifference(x.doubles, j) { Ref.outputCrossEntropy($0, weight: w.doubles, targets: targets, dim: dim, vocab: vocab) }
        }
        var s = TestRandom(60)
        assertGradient("output.dWeight", analytic: dW, indices: sampleIndices(vocab * dim, 120, &s)) { j in
            Ref.finiteDifference(w.doubles, j) { Ref.outputCrossEntropy(x.doubles, weight: $0, targets: targets, dim: dim, vocab: vocab) }
        }
    }

    func testFastExp() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let e = Kernels.exp(x), r = Foundation.exp(Double(x))
            worst = max(worst, Float(abs(Double(e) - r) / r))
            x += 0.0137
        }
        XCTAssertLessThan(worst, 4e-7, "fast exp relative error")
    }
}
