import Foundation
import RunSpec
import Memory
import Metrics
import Parallel

/// One optimizer step: the global figures every rank agrees on, and (on rank 0) what each rank
/// measured, gathered there so the telemetry stream can show every rank.
public struct StepReport: Codable, Equatable, Sendable {
    public var step: Int
    /// Mean token cross-entropy over every token of every rank in the step.
    public var loss: Double
    /// Global L2 norm of the gradient before clipping.
    public var gradNorm: Double
    public var lr: Double
    /// This rank's figures.
    public var local: RankFigures
    /// Every rank's figures in rank order; filled on rank 0 only.
    public var ranks: [RankFigures]
    /// The peak every MFU of this report is against (rank 0 only).
    public var peak: PeakFlops?
    /// Whether this step raised the peak (rank 0 only).
    public var peakChanged = false
}

/// What one rank measured in one step.
public struct RankFigures: Codable, Equatable, Sendable {
    public var rank: Int
    public var host: String
    public var pid: Int32
    /// Tokens this rank processed in the step.
    public var tokens: Int
    public var seconds: StepTimes
    public var throughput: Throughput
    /// Bytes sent, calls and blocked time per collective kind.
    public var communication: CommunicationStats
    /// Bytes allocated per category (exact, from the memory ledger).
    public var memory: [MemoryCategory: Int]
    public var residentBytes: Int
    public var peakResidentBytes: Int
    /// FLOPs the step's dense GEMMs executed, every lane's (nil in reports of older builds).
    public var gemmFlops: Double? = nil
    /// Seconds blocked per mesh axis and collective ("shard" → "all_gather" → s), from the
    /// traced communicators: what the straggler report attributes waits by.
    public var waits: [String: [String: Double]] = [:]
    /// This rank's mean loss over its own tokens, before the all-reduce.
    public var loss: Double? = nil

    /// torchtitan's throughput and MFU of these figures against `peakFlops`, with MFU's split when
    /// the GEMMs were timed.
    public func throughput(flopsPerToken: Double, peakFlops: Double) -> Throughput {
        Throughput(tokens: tokens, seconds: seconds.total, flopsPerToken: flopsPerToken, peakFlops: peakFlops,
                   gemm: seconds.gemm.flatMap { g in gemmFlops.map { (g, $0, seconds.communication) } })
    }
}

/// Where a step's wall time went.
public struct StepTimes: Codable, Equatable, Sendable {
    public var total = 0.0
    /// Filling the batch buffers from the token stream.
    public var data = 0.0
    /// Forward and backward, less the time blocked on communication inside them.
    public var compute = 0.0
    /// Blocked on communication: inside forward/backward and while finishing the gradients.
    public var communication = 0.0
    /// Norm, clipping and the AdamW update.
    public var optimizer = 0.0
    /// Inside dense GEMMs (part of compute): the lanes' mean wall time in them (nil in older reports).
    public var gemm: Double? = nil
    public init() {}
}

