import CBLAS
import Foundation
import Metrics

/// The FLOP/s of the trainer's sgemm call (SgemmProbe's shape, one BLAS thread) sustained over
/// a window of wall time: calls made times their FLOPs, over the window. A rank that shares its
/// core with others is descheduled part of the window, and that shows; the best single call
/// (what MFU's peak takes) would hide it.
enum SustainedSgemm {
    static func flops(seconds: Double) -> Double {
        openblas_set_num_threads(1)
        _ = SgemmProbe.callRates(seconds: 0.05)  // BLAS's first call and the matrices' first pages
        let start = DispatchTime.now().uptimeNanoseconds
        let calls = SgemmProbe.callRates(seconds: seconds).count
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(calls) * 2 * Double(SgemmProbe.m * SgemmProbe.n * SgemmProbe.k) / elapsed
    }
}
