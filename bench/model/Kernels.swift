// `bench-model kernels`: each non-GEMM kernel (and the attention core) at the debugmodel's shapes for
// batch 8 x seq_len 256, timed as the minimum over many repetitions (robust against other processes).
import Memory
import Model
import ModelShape
import RunSpec

func minimumTime(_ reps: Int, setUp: () -> Void = {}, _ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<reps {
        setUp()
        let t0 = monotonicSeconds()
        body()
        best = min(best, monotonicSeconds() - t0)
    }
    return best
}

func benchKernels(seqLen T: Int, reps: Int) {
    let c = ModelConfig.debugmodel
    let B = 8, n = B * T, d = c.dim, F = c.ffnHidden, H = c.nHeads, hd = c.headDim, V = c.vocabSize
    let W = 3 * d
    let ledger = MemoryLedger()
    func buf(_ count: Int, _ scale: Float = 1) -> UnsafeMutablePointer<Float> { randomBuffer(ledger, count, scale) }
    let x = buf(n * d), y = buf(n * d), w = buf(d), rstd = buf(n), dw = buf(d)
    let h1 = buf(n * F), h3 = buf(n * F), g = buf(n * F), dh = buf(n * F), x1 = buf(n * F), x3 = buf(n * F)
    let qkv = buf(n * W, 0.5), dqkv = buf(n * W), att = buf(n * d), datt = buf(n * d), lse = buf(B * H * T)
    let table = buf(T * hd)
    Kernels.fillRopeTable(table, maxSeqLen: T, headDim: hd, theta: c.ropeTheta)
    let scratch = buf(ModelSizes.attentionScratchCount(seqLen: T, headDim: hd))
    let probs = buf(ModelSizes.attentionProbabilityCount(batch: B, seqLen: T, heads: H)), rowScale = buf(B * H * T)
    let targets = ledger.allocate(Int32.self, count: n, category: .scratch, label: "t").baseAddress!
    for i in 0..<n { targets[i] = Int32(i % V) }
    func report(_ name: String, _ seconds: Double, perStep: Int) {
        let ms = seconds * 1000
        print("  \(name): \(String(Int((ms * 100).rounded()) / 100)).\(Int((ms * 100).rounded()) % 100) ms x \(perStep) per step")
    }
    print("kernels at batch \(B) x seq_len \(T) (minimum of \(reps) runs):")
    report("rmsNormForward", minimumTime(reps) { Kernels.rmsNormForward(out: y, rstd: rstd, x: x, weight: w, n: n, dim: d, eps: 1e-5) }, perStep: 13)
    report("rmsNormBackward", minimumTime(reps) { Kernels.rmsNormBackward(dx: y, accumulate: true, dWeight: dw, dOut: x, x: x, rstd: rstd, weight: w, n: n, dim: d) }, perStep: 13)
    report("rope (q and k)", minimumTime(reps) { Kernels.rope(qkv, rowStride: W, batch: B, seqLen: T, heads: 2 * H, headDim: hd, table: table, inverse: false) }, perStep: 12)
    report("swigluForward", minimumTime(reps) { Kernels.swigluForward(g: g, h1: h1, h3: h3, count: n * F) }, perStep: 6)
    // in place: each run starts again from dg, h1 and h3 (copied in untimed)
    report("swigluBackward (in place, g recomputed)", minimumTime(reps, setUp: {
        g.update(from: dh, count: n * F); x1.update(from: h1, count: n * F); x3.update(from: h3, count: n * F)
    }) {
        Kernels.swigluBackward(dgToG: g, h1ToDh3: x1, h3ToDh1: x3, count: n * F)
    }, perStep: 6)
    let xw = buf(V * d, 0.05), dx = buf(n * d), dW = buf(V * d), tokenLoss = buf(n), logits = buf(256 * V)
    report("outputForward (3 GEMMs + softmax cross-entropy)", minimumTime(reps) {
        _ = Kernels.outputForward(x: x, weight: xw, targets: targets, n: n, dim: d, vocab: V, dx: dx, dWeight: dW,
                                  tokenLoss: tokenLoss, logits: logits, chunkRows: 256)
    }, perStep: 1)
    report("attentionForward (as trained: probabilities not kept)", minimumTime(reps) {
        Kernels.attentionForward(out: att, lse: lse, qkv: qkv, batch: B, seqLen: T, heads: H, kvHeads: H, headDim: hd,
                                 scratch: scratch)
    }, perStep: 6)
    GemmProfile.enabled = true
    GemmProfile.reset()
    let af = minimumTime(reps) {
        Kernels.attentionForward(out: att, lse: lse, qkv: qkv, batch: B, seqLen: T, heads: H, kvHeads: H, headDim: hd,
                                 scratch: scratch, probabilities: probs, rowScale: rowScale)
    }
    let afGemm = GemmProfile.seconds / Double(reps)
    GemmProfile.reset()
    let ab = minimumTime(reps) {
        Kernels.attentionBackward(dqkv: dqkv, dOut: datt, out: att, lse: lse, qkv: qkv, batch: B, seqLen: T, heads: H,
                                  kvHeads: H, headDim: hd, scratch: scratch, probabilities: probs, rowScale: rowScale)
    }
    let abGemm = GemmProfile.seconds / Double(reps)
    GemmProfile.reset()
    let abr = minimumTime(reps) {
        Kernels.attentionBackward(dqkv: dqkv, dOut: datt, out: att, lse: lse, qkv: qkv, batch: B, seqLen: T, heads: H,
                                  kvHeads: H, headDim: hd, scratch: scratch)
    }
    GemmProfile.enabled = false
    report("attentionForward (kept probabilities; mean gemm part \(Int(afGemm * 1000)) ms)", af, perStep: 6)
    report("attentionBackward (kept; mean gemm part \(Int(abGemm * 1000)) ms)", ab, perStep: 6)
    report("attentionBackward (recomputing)", abr, perStep: 6)
}

/// `count` floats uniform in [-scale, scale] (seeded by the count), allocated in `ledger`.
func randomBuffer(_ ledger: MemoryLedger, _ count: Int, _ scale: Float) -> UnsafeMutablePointer<Float> {
    let p = ledger.allocate(Float.self, count: count, category: .scratch, label: "bench").baseAddress!
    var rng = SplitMix64(seed: UInt64(count))
    for i in 0..<count { p[i] = Float(rng.nextUnit() * 2 - 1) * scale }
    return p
}
