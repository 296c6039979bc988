import RunSpec
import Telemetry

/// The throughput panel's short histories: one value per step, over every rank.
public struct ThroughputHistory: Equatable, Sendable {
    /// Tokens per second of all ranks together.
    public private(set) var tokensPerSecond = RecentValues()
    /// Achieved TFLOP/s of all ranks together.
    public private(set) var tflops = RecentValues()
    /// Mean MFU of the ranks, in percent.
    public private(set) var mfu = RecentValues()
    /// The slowest rank's step time, and the ranks' mean compute and communication wait, seconds.
    public private(set) var stepSeconds = RecentValues()
    public private(set) var computeSeconds = RecentValues()
    public private(set) var waitSeconds = RecentValues()
    /// The latest step's MFU as four factors (RunSpec.MFUSplit), pooled over the ranks: nil before a
    /// step that carries the GEMM figures (older recordings).
    public private(set) var mfuSplit: MFUSplit?

    public init() {}

    mutating func append(_ ranks: [RankStep], flopsPerToken: Double? = nil, peakFlops: Double? = nil) {
        guard !ranks.isEmpty else { return }
        mfuSplit = flopsPerToken.flatMap { perToken in peakFlops.flatMap { Self.pooledSplit(ranks, perToken, $0) } }
        var tps = 0.0, flops = 0.0, mfuSum = 0.0, slowest = 0.0, compute = 0.0, wait = 0.0
        for rank in ranks {
            tps += rank.tokensPerSecond
            flops += rank.tflops
            mfuSum += rank.mfu
            slowest = max(slowest, rank.seconds.total)
            compute += rank.seconds.compute
            wait += rank.seconds.communication
        }
        let n = Double(ranks.count)
        tokensPerSecond.append(tps)
        tflops.append(flops)
        mfu.append(mfuSum / n)
        stepSeconds.append(slowest)
        computeSeconds.append(compute / n)
        waitSeconds.append(wait / n)
    }

    /// The split of the ranks' sums: the model FLOPs, step, GEMM and waiting seconds and GEMM FLOPs of
    /// every rank added up. Its product is their FLOPs over their summed time against the peak, which
    /// is the ranks' mean MFU when their step times agree (they finish each step together).
    static func pooledSplit(_ ranks: [RankStep], _ flopsPerToken: Double, _ peakFlops: Double) -> MFUSplit? {
        var model = 0.0, total = 0.0, gemm = 0.0, gemmFlops = 0.0, wait = 0.0
        for rank in ranks {
            guard let seconds = rank.seconds.gemm, let flops = rank.gemmFlops else { return nil }
            model += flopsPerToken * Double(rank.tokens)
            total += rank.seconds.total
            gemm += seconds
            gemmFlops += flops
            wait += rank.seconds.communication
        }
        return MFUSplit(modelFlops: model, stepSeconds: total, peakFlops: peakFlops, gemmSeconds: gemm,
                        gemmFlops: gemmFlops, waitSeconds: wait)
    }
}

/// One line of the log pane.
public struct LogEntry: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// A log line of rank 0 (or the dashboard's own note of an event).
        case info
        case warning, error
        /// A notice of the front end.
        case launcher
        /// A line mpirun printed on its standard output or error.
        case output, stderr
    }

    public var kind: Kind
    public var rank: Int?
    public var text: String
}

/// The newest `capacity` log lines.
public struct LogHistory: Equatable, Sendable {
    public let capacity: Int
    public private(set) var entries: [LogEntry] = []
    /// How many warnings and errors arrived in all (also those no longer kept).
    public private(set) var warnings = 0
    public private(set) var errors = 0

    public init(capacity: Int = 500) { self.capacity = max(1, capacity) }

    mutating func append(_ entry: LogEntry) {
        if entries.count == capacity { entries.removeFirst(capacity / 5) }
        entries.append(entry)
        if entry.kind == .warning { warnings += 1 }
        if entry.kind == .error { errors += 1 }
    }
}
