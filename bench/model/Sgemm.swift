// `bench-model sgemm [seconds=3] [threads=1]`: the machine's sgemm rate at this moment. `threads`
// single-threaded loops run at once (as lanes do), each making the peak probe's calls (SgemmProbe: 512x768x256,
// beta 0) for `seconds`. Prints each call's best, median and mean GF/s per thread. MFU is measured against
// the cached best; the median says what the cores give right now, so a run beside it can be judged
// against the machine's state, which on a shared VM drifts by 10% or more within minutes.
import CBLAS
import Dispatch
import Metrics

func benchSgemm(seconds: Double, threads: Int) {
    openblas_set_num_threads(1)
    var rates = [[Double]](repeating: [], count: threads)
    rates.withUnsafeMutableBufferPointer { out in
        nonisolated(unsafe) let slots = out  // each thread writes its own slot
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            slots[t] = SgemmProbe.callRates(seconds: seconds)
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
