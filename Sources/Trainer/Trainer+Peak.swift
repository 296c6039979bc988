import Collectives
import Foundation
import Metrics
import RunSpec

extension Trainer {
    /// Rank 0 measures (or reads the cached or given peak) and every rank uses its figure.
    /// The peak is the threads that really compute (the lanes, or OpenBLAS's for one sequence) times
    /// one core's, on no more cores than the process may use.
    static func agreePeak(config: RunSpecification, lanes: Int, world: Communicator, cache: PeakCache) throws -> PeakFlops {
        var peak = PeakFlops.given(tflops: config.peakTFLOPS ?? 0)
        if world.rank == 0 && config.peakTFLOPS == nil {
            let computing = min(lanes > 1 ? lanes : config.threads, PeakFlops.allowedCores())
            peak = PeakFlops.measuredOrCached(threads: computing, cache: cache)
        }
        let encoded = try world.broadcastBytes(world.rank == 0 ? Array(try JSONEncoder().encode(peak)) : [], root: 0)
        return try JSONDecoder().decode(PeakFlops.self, from: Data(encoded))
    }
}

/// Rank 0's check of a step against the peak: the gathered figures with every MFU against the peak
/// in force, raised first if a rank beat it. Every rank computed its own MFU against the peak it
/// started with; only the reported figures change, never the training.
public enum PeakCheck {
    public static func apply(step: Int, peak: PeakFlops, ranks: [RankFigures], flopsPerToken: Double,
                             now: Double = Date().timeIntervalSince1970) -> (peak: PeakFlops, ranks: [RankFigures]) {
        let achieved = ranks.map { (rank: $0.rank, flops: flopsPerToken * $0.throughput.tokensPerSecond) }
        let inForce = peak.raised(step: step, achieved: achieved, now: now)
        let rescored = ranks.map { figures -> RankFigures in
            var f = figures
            f.throughput = f.throughput(flopsPerToken: flopsPerToken, peakFlops: inForce.flops)
            return f
        }
        return (inForce, rescored)
    }
}
