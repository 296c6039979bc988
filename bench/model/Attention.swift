// `bench-model attention`: the attention core alone, as trained (probabilities recomputed, not kept), at the
// debugmodel's shapes (batch 8, 16 heads of 16). Minimum and median over reps of wall time, minimum of the
// process's CPU time: compare two builds by running them interleaved, since other processes share the machine.
import Memory
import Model
import ModelShape
import RunSpec
#if canImport(Glibc)
import Glibc
#endif

func benchAttention(seqLen T: Int, reps: Int) {
    let c = ModelConfig.debugmodel
    let B = 8, H = c.nHeads, KVH = c.kvHeads, hd = c.headDim, n = B * T, W = (H + 2 * KVH) * hd, C = H * hd
    let ledger = MemoryLedger()
    func buf(_ count: Int, _ scale: Float = 1) -> UnsafeMutablePointer<Float> { randomBuffer(ledger, count, scale) }
    // ATTN_INPUT_SCALE=x: q, k, v uniform in [-x, x] (default 0.5: every score bound under the AVX2 kernel's
    // limit, so no row-max pass; 8 puts every row over it)
    let inputScale = getenv("ATTN_INPUT_SCALE").flatMap { Float(String(cString: $0)) } ?? 0.5
    let qkv = buf(n * W, inputScale), dqkv = buf(n * W), out = buf(n * C), dOut = buf(n * C), lse = buf(B * H * T)
    let scratch = buf(ModelSizes.attentionScratchCount(seqLen: T, headDim: hd))
    func measure(_ body: () -> Void) -> (wallMin: Double, wallMedian: Double, cpuMin: Double) {
        var walls: [Double] = [], cpus: [Double] = []
        for _ in 0..<reps {
            let c0 = cpuSeconds(), t0 = monotonicSeconds()
            body()
            walls.append(monotonicSeconds() - t0); cpus.append(cpuSeconds() - c0)
        }
        walls.sort()
        return (walls[0], walls[walls.count / 2], cpus.min()!)
    }
    let forward = measure {
        Kernels.attentionForward(out: out, lse: lse, qkv: qkv, batch: B, seqLen: T, heads: H, kvHeads: KVH,
                                 headDim: hd, scratch: scratch)
    }
    let backward = measure {
        Kernels.attentionBackward(dqkv: dqkv, dOut: dOut, out: out, lse: lse, qkv: qkv, batch: B, seqLen: T,
                                  heads: H, kvHeads: KVH, headDim: hd, scratch: scratch)
    }
    func ms(_ x: Double) -> String { String(Double(Int(x * 100_000)) / 100) }
    print("attention core, batch \(B) x seq_len \(T), \(H) heads of \(hd), inputs in +-\(inputScale), \(Kernels.workers) worker(s), \(reps) runs:")
    for (name, m) in [("forward", forward), ("backward", backward)] {
        print("  \(name): min \(ms(m.wallMin)) ms, median \(ms(m.wallMedian)) ms, min process CPU \(ms(m.cpuMin)) ms")
    }
    print("  per step (6 layers, forward + backward, minima): \(ms(6 * (forward.wallMin + backward.wallMin))) ms")
}
