// `bench-model sgemm [seconds=3] [threads=1]`: the machine's sgemm rate at this moment. `threads`
// single-threaded loops run at once (as lanes do), each calling the peak's shape (PeakFlops: 2048x768x256,
// beta 0) for `seconds`. Prints each call's best, median and mean GF/s per thread. MFU is measured against
// the cached best; the median says what the cores give right now, so a run beside it can be judged
// against the machine's state, which on a shared VM drifts by 10% or more within minutes.
import CBLAS
import Dispatch
import Model
#if canImport(Glibc)
import Glibc
#endif

func benchSgemm(seconds: Double, threads: Int) {
    openblas_set_num_threads(1)
    let m = 2048, n = 768, k = 256
    let flopsPerCall = 2.0 * Double(m * n * k)
    var rates = [[Double]](repeating: [], count: threads)
    rates.withUnsafeMutableBufferPointer { out in
        let slots = out
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var a = [Float](repeating: 0, count: m * k), b = [Float](repeating: 0, count: k * n)
            var c = [Float](repeating: 0, count: m * n)
            for i in a.indices { a[i] = Float(i % 17) * 0.01 }
            for i in b.indices { b[i] = Float(i % 13) * 0.01 }
            var mine: [Double] = []
            let start = monotonicSeconds()
            repeat {
                let t0 = monotonicSeconds()
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                            1, &a, Int32(k), &b, Int32(n), 0, &c, Int32(n))
                mine.append(flopsPerCall / (monotonicSeconds() - t0))
            } while monotonicSeconds() - start < seconds
            slots[t] = mine
        }
    }
    for (t, r) in rates.enumerated() {
        let sorted = r.sorted()
        let mean = Double(r.count) / r.reduce(0) { $0 + 1 / $1 }  // calls per second x FLOPs per call
        func gf(_ x: Double) -> String { String(format: "%.1f", x / 1e9) }
        print("sgemm thread \(t): \(r.count) calls  best \(gf(sorted.last ?? 0))  median \(gf(sorted[sorted.count / 2]))"
              + "  mean \(gf(mean)) GF/s")
    }
}
