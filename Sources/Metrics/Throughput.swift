/// torchtitan's throughput figures for one step of one data-parallel rank.
public struct Throughput: Codable, Equatable, Sendable {
    /// Tokens this rank processed per second (torchtitan's tps is per device).
    public let tokensPerSecond: Double
    /// Achieved model FLOP/s divided by 1e12.
    public let tflops: Double
    /// Model FLOPs utilisation, in percent of the peak.
    public let mfu: Double

    /// - Parameters:
    ///   - tokens: tokens this rank processed in the step (local batch x grad accum x seq len).
    ///   - seconds: the step's wall time.
    ///   - flopsPerToken: the model's training FLOPs per token (6N + attention term).
    ///   - peakFlops: the per-device peak FLOP/s the MFU is measured against.
    public init(tokens: Int, seconds: Double, flopsPerToken: Double, peakFlops: Double) {
        tokensPerSecond = seconds > 0 ? Double(tokens) / seconds : 0
        tflops = flopsPerToken * tokensPerSecond / 1e12
        mfu = peakFlops > 0 ? 100 * flopsPerToken * tokensPerSecond / peakFlops : 0
    }
}
