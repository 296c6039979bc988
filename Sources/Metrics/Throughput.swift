import RunSpec

/// torchtitan's throughput figures for one step of one data-parallel rank, and where its MFU went.
public struct Throughput: Codable, Equatable, Sendable {
    /// Tokens this rank processed per second (torchtitan's tps is per device).
    public let tokensPerSecond: Double
    /// Achieved model FLOP/s divided by 1e12.
    public let tflops: Double
    /// Model FLOPs utilisation, in percent of the peak.
    public let mfu: Double
    /// The MFU as four factors against the same peak (nil without the step's GEMM figures).
    public let split: MFUSplit?

    /// - Parameters:
    ///   - tokens: tokens this rank processed in the step (local batch x grad accum x seq len).
    ///   - seconds: the step's wall time.
    ///   - flopsPerToken: the model's training FLOPs per token (6N + attention term).
    ///   - peakFlops: the per-device peak FLOP/s the MFU is measured against.
    ///   - gemm: the step's dense GEMMs (the lanes' mean seconds in them and their FLOPs) and the
    ///     seconds it was blocked on communication, for the split.
    public init(tokens: Int, seconds: Double, flopsPerToken: Double, peakFlops: Double,
                gemm: (seconds: Double, flops: Double, waitSeconds: Double)? = nil) {
        tokensPerSecond = seconds > 0 ? Double(tokens) / seconds : 0
        tflops = flopsPerToken * tokensPerSecond / 1e12
        mfu = peakFlops > 0 ? 100 * flopsPerToken * tokensPerSecond / peakFlops : 0
        split = gemm.flatMap {
            MFUSplit(modelFlops: flopsPerToken * Double(tokens), stepSeconds: seconds, peakFlops: peakFlops,
                     gemmSeconds: $0.seconds, gemmFlops: $0.flops, waitSeconds: $0.waitSeconds)
        }
    }
}
