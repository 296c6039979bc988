// Times forward+backward of the llama3 debugmodel (batch 8) at seq_len 256 and 1024.
// usage: bench-model [threads=1] [steps=3] [seqLens=256,1024]     (ATTN_BLOCK=n: attention query block rows)
//        (KERNEL_THREADS=n: threads for the attention core and element-wise kernels; default = BLAS threads)
//        (NO_AVX2=1: the portable Swift kernels instead of CKernels' AVX2/FMA ones, for comparison)
//        bench-model kernels [seqLen=256] [reps=20]              (each non-GEMM kernel, minimum of reps;
//                                                                KERNEL_THREADS=n workers for them)
//        bench-model attention [seqLen=256] [reps=30]            (the attention core alone, forward and backward
//                                                                as trained; KERNEL_THREADS=n workers)
//        bench-model sgemm [seconds=3] [threads=1]               (the peak's sgemm on `threads` cores at once,
//                                                                each call's best/median/mean GF/s)
// Prints the mean fwd/bwd time of the timed steps, split into dense GEMM (cblas_sgemm outside attention),
// the attention core (per-head products + softmax), and everything else; then the machine's current rate
// for one dense GEMM shape, to judge how busy the machine was.
import CBLAS
import Memory
import Metrics
import Model
import RunSpec
#if canImport(Glibc)
import Glibc
#endif

/// CPU time of this process (all threads): under contention from other processes, a steadier figure than wall time.
func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

BLASEnvironment.applyByReexecuting()  // as meshtop-rank does
let args = CommandLine.arguments
if getenv("NO_AVX2") != nil { Kernels.useAVX2 = false }
if args.count > 1 && args[1] == "kernels" {
    openblas_set_num_threads(1)
    if let k = getenv("KERNEL_THREADS").flatMap({ Int(String(cString: $0)) }) { Kernels.workers = k }
    if let b = getenv("ATTN_BLOCK").flatMap({ Int(String(cString: $0)) }) { Kernels.attentionBlockRows = b }
    benchKernels(seqLen: args.count > 2 ? Int(args[2]) ?? 256 : 256, reps: args.count > 3 ? Int(args[3]) ?? 20 : 20)
    exit(0)
}
if args.count > 1 && args[1] == "attention" {
    openblas_set_num_threads(1)
    if let k = getenv("KERNEL_THREADS").flatMap({ Int(String(cString: $0)) }) { Kernels.workers = k }
    benchAttention(seqLen: args.count > 2 ? Int(args[2]) ?? 256 : 256, reps: args.count > 3 ? Int(args[3]) ?? 30 : 30)
    exit(0)
}
if args.count > 1 && args[1] == "sgemm" {
    benchSgemm(seconds: args.count > 2 ? Double(args[2]) ?? 3 : 3, threads: args.count > 3 ? Int(args[3]) ?? 1 : 1)
    exit(0)
}
let threads = args.count > 1 ? Int(args[1]) ?? 1 : 1
let steps = args.count > 2 ? Int(args[2]) ?? 3 : 3
let seqLens = args.count > 3 ? args[3].split(separator: ",").compactMap { Int($0) } : [256, 1024]
let batch = 8
openblas_set_num_threads(Int32(threads))
if let b = getenv("ATTN_BLOCK").flatMap({ Int(String(cString: $0)) }) { Kernels.attentionBlockRows = b }
// ATTN_KEEP_MIB=n: keep the attention probabilities when they fit in n MiB (default 0: recompute them)
if let b = getenv("ATTN_KEEP_MIB").flatMap({ Int(String(cString: $0)) }) { Llama.attentionProbabilityBudgetBytes = b << 20 }
let config = ModelConfig.debugmodel
print("attention block rows \(Kernels.attentionBlockRows); debugmodel (\(config.parameterCount) parameters), batch \(batch), \(threads) BLAS thread(s), \(steps) timed steps after 1 warm-up")

for seqLen in seqLens {
    let ledger = MemoryLedger()
    let model = try Llama(config: config, batchSize: batch, seqLen: seqLen, ledger: ledger)
    Initializer.initialize(model.parameters, layout: model.layout, seed: 1234)
    if let k = getenv("KERNEL_THREADS").flatMap({ Int(String(cString: $0)) }) { model.kernelThreads = k }
    let n = batch * seqLen
    var rng = SplitMix64(seed: 42)
    let tokens = (0..<(n + 1)).map { _ in Int32(rng.next() % UInt64(config.vocabSize)) }
    let inputs = Array(tokens[0..<n]), targets = Array(tokens[1...n])
    var attGemm = 0.0
    var cpu = 0.0, best = Double.infinity
    var fwd = 0.0, bwd = 0.0, gemmFwd = 0.0, gemmBwd = 0.0, loss: Float = 0
    for step in 0...steps {
        GemmProfile.enabled = step > 0
        GemmProfile.reset()
        let c0 = cpuSeconds()
        let t0 = monotonicSeconds()
        loss = inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { t in model.forward(inputs: i, targets: t, hooks: nil) }
        }
        let t1 = monotonicSeconds()
        let gf = GemmProfile.seconds
        let af = GemmProfile.attentionSeconds
        GemmProfile.reset()
        model.zeroGradients()
        model.backward(lossScale: 1, hooks: nil)
        let t2 = monotonicSeconds()
        if step > 0 { cpu += cpuSeconds() - c0; best = min(best, t2 - t0) }
        if step > 0 {
            fwd += t1 - t0; bwd += t2 - t1; gemmFwd += gf; gemmBwd += GemmProfile.seconds
            attGemm += af + GemmProfile.attentionSeconds
        }
    }
    let s = Double(steps)
    let total = (fwd + bwd) / s
    let gemm = (gemmFwd + gemmBwd) / s
    let attention = attGemm / s
    func ms(_ x: Double) -> String { String(Int((x * 1000).rounded())) }
    let mib = (ledger.bytes(.activations) + ledger.bytes(.scratch)) / 1048576
    var line = "seq_len \(seqLen): \(n) tokens  loss \(loss)"
    line += "  fwd \(ms(fwd / s)) ms  bwd \(ms(bwd / s)) ms"
    line += "  fwd+bwd \(ms(total)) ms = dense gemm \(ms(gemm)) + attention core \(ms(attention)) + other \(ms(total - gemm - attention))"
    line += "  \(Int(Double(n) / total)) tokens/s (best step \(ms(best)) ms = \(Int(Double(n) / best)) tokens/s;"
    line += " process CPU time \(ms(cpu / s)) ms/step)"
    line += "  activations+scratch \(mib) MiB"
    print(line)
}

// Reference: one dense product of the step's shape, to compare the machine's current GEMM rate.
do {
    let m = 2048, n = 768, k = 256
    let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: n * k)
    var c = [Float](repeating: 0, count: m * n), d = [Float](repeating: 0, count: n * k)
    for (ta, label) in [(false, "x W^T (forward)"), (true, "dY^T X (weight grad)")] {
        let reps = 20
        let t0 = monotonicSeconds()
        for _ in 0..<reps {
            if !ta {
                Kernels.gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k, beta: 0, c: &c, ldc: n)
            } else {
                Kernels.gemm(transA: true, transB: false, m: n, n: k, k: m, alpha: 1, a: c, lda: n, b: a, ldb: k, beta: 1, c: &d, ldc: k)
            }
        }
        let dt = (monotonicSeconds() - t0) / Double(reps)
        print("sgemm \(label) 2048x768x256: \(Int(2 * Double(m * n * k) / dt / 1e9)) GFLOP/s")
    }
}
