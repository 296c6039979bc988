import CBLAS
import Foundation

/// The sgemm runs a peak is measured with: trials of back-to-back single-threaded calls with short
/// pauses between them, and the best call of any trial is the core's ceiling. Trials spread over
/// about a second give one of them the chance of a quiet moment while other work (another rank
/// starting up, a build) shares the core.
///
/// The shape is 512x768x256 (the FFN's N and K, a quarter of the step's 2048 tokens): about 2 ms a
/// call, inside one scheduler time slice, so a call is rarely cut by a context switch. Measured on
/// this machine's kind (AMD EPYC, OpenBLAS 0.3.21, one thread, 5 trials of 200 ms, 50 ms pauses,
/// /tmp C harness): quiet, 2048x768x256 best 101.3 GF/s (7.9 ms a call), 512x768x256 106.1,
/// 256x768x256 106.6, 512x256x256 105.7; with two `yes` loops on the 2 cores, 2048x768x256 102.1
/// (one trial 65.3), 512x768x256 102.0, 256x768x256 105.7. The smaller call reaches the big one's
/// best and loses fewer calls to preemption.
public enum SgemmProbe {
    public static let m = 512, n = 768, k = 256
    public static var shape: String { "\(m)x\(n)x\(k)" }

    /// The full measurement (no usable cache): 5 trials of 0.2 s, 0.05 s apart (~1.2 s).
    public static let full = Plan(trials: 5, trialSeconds: 0.2, pauseSeconds: 0.05)
    /// The start-up check of a cached figure: 2 trials of 0.1 s (~0.2 s).
    public static let probe = Plan(trials: 2, trialSeconds: 0.1, pauseSeconds: 0.02)

    public struct Plan: Sendable {
        public var trials: Int
        public var trialSeconds: Double
        public var pauseSeconds: Double
        public var seconds: Double { Double(trials) * trialSeconds + Double(max(0, trials - 1)) * pauseSeconds }
    }

    /// One core's best FLOP/s under `plan`, with OpenBLAS on one thread for the duration.
    public static func bestOneCore(_ plan: Plan) -> Double {
        let saved = openblas_get_num_threads()
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(saved) }
        var best = 0.0
        for trial in 0 ..< plan.trials {
            if trial > 0 { usleep(UInt32(plan.pauseSeconds * 1e6)) }
            best = max(best, callRates(seconds: plan.trialSeconds).max() ?? 0)
        }
        return best
    }

    /// FLOP/s of each call made one after another for `seconds` on the calling thread, with whatever
    /// BLAS threads are set. `bench-model sgemm` reads their spread, which the best does not show.
    public static func callRates(seconds: Double) -> [Double] {
        var a = [Float](repeating: 0, count: m * k), b = [Float](repeating: 0, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        for i in a.indices { a[i] = Float(i % 17) * 0.01 }
        for i in b.indices { b[i] = Float(i % 13) * 0.01 }
        let flopsPerCall = 2.0 * Double(m * n * k)
        var rates: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                        1, &a, Int32(k), &b, Int32(n), 0, &c, Int32(n))
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            rates.append(flopsPerCall / dt)
        } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds
        return rates
    }
}
