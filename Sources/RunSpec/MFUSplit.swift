import Foundation

/// Where a step's MFU went, from the trainer's own timings: four factors whose product is the MFU
/// (as a fraction), exactly.
///
/// With F the model's FLOPs of the step (flops per token x tokens: 6N + attention, what MFU counts),
/// T its wall time, P the peak, G the time in dense GEMMs (the lanes' mean), Fg the FLOPs those GEMMs
/// executed (2mnk a call) and W the time blocked on communication:
///
///     MFU = F / (T P) = Fg / (G P)     the GEMMs' rate against the peak (what the cores give right now)
///                     x G / (T - W)    the share of the time not waiting that went to GEMMs
///                     x (T - W) / T    the share of the step not blocked on communication
///                     x F / Fg         model FLOPs per GEMM FLOP
///
/// The last factor is a property of the model and its implementation, the same every step: the
/// attention core's FLOPs are counted in F (by torchtitan's formula) but run outside the GEMMs, the
/// backward's recomputation of h is executed by a GEMM but not counted, and the norms' 6N share is no
/// GEMM's. It sits above 1 when attention is a large part of F (long sequences).
public struct MFUSplit: Codable, Equatable, Sendable {
    /// The GEMMs' FLOP/s (executed FLOPs over the lanes' mean time in them) over the peak.
    public let gemmOfPeak: Double
    /// The lanes' mean time in GEMMs over the step's time not blocked on communication.
    public let inGemms: Double
    /// The step's time not blocked on communication over its wall time.
    public let notWaiting: Double
    /// The model's FLOPs (what MFU counts) over the FLOPs the GEMMs executed.
    public let modelPerGemmFlop: Double
    /// The GEMMs' FLOP/s: executed FLOPs over the lanes' mean time in them.
    public let gemmFlopsPerSecond: Double

    /// nil when a figure it divides by is zero (no GEMM ran, or the whole step was spent waiting).
    public init?(modelFlops: Double, stepSeconds: Double, peakFlops: Double, gemmSeconds: Double, gemmFlops: Double,
                 waitSeconds: Double) {
        let working = stepSeconds - waitSeconds
        guard modelFlops > 0, stepSeconds > 0, peakFlops > 0, gemmSeconds > 0, gemmFlops > 0, working > 0 else { return nil }
        gemmFlopsPerSecond = gemmFlops / gemmSeconds
        gemmOfPeak = gemmFlopsPerSecond / peakFlops
        inGemms = gemmSeconds / working
        notWaiting = working / stepSeconds
        modelPerGemmFlop = modelFlops / gemmFlops
    }

    /// The product of the four factors: the MFU as a fraction.
    public var product: Double { gemmOfPeak * inGemms * notWaiting * modelPerGemmFlop }

    /// `gemm 88.1% of peak x 93.2% in gemm x 95.0% not waiting x 1.114 model/gemm flops`: each figure
    /// rounded so that their product is the MFU to well within 0.5 points.
    public var text: String {
        String(format: "gemm %.1f%% of peak x %.1f%% in gemm x %.1f%% not waiting x %.3f model/gemm flops",
               100 * gemmOfPeak, 100 * inGemms, 100 * notWaiting, modelPerGemmFlop)
    }
}
