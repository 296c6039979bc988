import Topology

/// What a step time is predicted from: the rate a rank computes at and the two kinds of link,
/// taken from a probe's topology (`meshtop probe`) for a job of a given number of ranks.
public struct TimeModel: Equatable, Sendable {
    /// A link as the model uses it: a message pays `latency` once and its bytes at `bandwidth`;
    /// while the link carries bytes the other way too, its bytes take what the probe's exchanges
    /// of that size took (`bothWays`), or go at `bothWaysBandwidth` without them.
    public struct Link: Equatable, Sendable {
        public var latencySeconds: Double
        public var bandwidthBytesPerSecond: Double
        public var bothWaysBandwidthBytesPerSecond: Double
        /// (bytes each way, seconds) of exchanges measured both ways at once, by size.
        public var bothWays: [(bytes: Int, seconds: Double)]

        public init(latencySeconds: Double, bandwidthBytesPerSecond: Double, bothWaysBandwidthBytesPerSecond: Double? = nil,
                    bothWays: [(bytes: Int, seconds: Double)] = []) {
            self.latencySeconds = latencySeconds
            self.bandwidthBytesPerSecond = bandwidthBytesPerSecond
            self.bothWaysBandwidthBytesPerSecond = bothWaysBandwidthBytesPerSecond ?? bandwidthBytesPerSecond
            self.bothWays = bothWays.filter { $0.bytes > 0 && $0.seconds > 0 }.sorted { $0.bytes < $1.bytes }
        }

        public static func == (a: Link, b: Link) -> Bool {
            a.latencySeconds == b.latencySeconds && a.bandwidthBytesPerSecond == b.bandwidthBytesPerSecond
                && a.bothWaysBandwidthBytesPerSecond == b.bothWaysBandwidthBytesPerSecond
                && a.bothWays.map(\.bytes) == b.bothWays.map(\.bytes) && a.bothWays.map(\.seconds) == b.bothWays.map(\.seconds)
        }

        /// Seconds of `bytes` one way, with (`busyBack`) or without bytes going the other way.
        /// Both ways, the measured exchanges are joined by straight lines: below the smallest at
        /// its rate, past the largest at the last two's marginal rate (on the test hosts the
        /// penalty grows with the size: ~22 MB/s each way at 1 MiB, ~15 at 4, ~13 at 12).
        public func seconds(_ bytes: Int, busyBack: Bool) -> Double {
            guard busyBack else { return Double(bytes) / bandwidthBytesPerSecond }
            guard let first = bothWays.first, let last = bothWays.last else { return Double(bytes) / bothWaysBandwidthBytesPerSecond }
            let b = Double(bytes)
            if bytes <= first.bytes { return b * first.seconds / Double(first.bytes) }
            if let upper = bothWays.firstIndex(where: { $0.bytes >= bytes }) {
                let (lo, hi) = (bothWays[upper - 1], bothWays[upper])
                return lo.seconds + (b - Double(lo.bytes)) * (hi.seconds - lo.seconds) / Double(hi.bytes - lo.bytes)
            }
            let before = bothWays.count > 1 ? bothWays[bothWays.count - 2] : (bytes: 0, seconds: 0.0)
            let perByte = max((last.seconds - before.seconds) / Double(last.bytes - before.bytes), last.seconds / Double(last.bytes) / 2)
            return last.seconds + (b - Double(last.bytes)) * perByte
        }
    }

    /// The sustained sgemm FLOP/s each rank gets while every rank of the job computes.
    public var rankFlops: Double
    /// The share of that rate a training step reaches in the model's FLOPs per token
    /// (`ModelConfig.flopsPerToken`): the dense products run at the sgemm rate, and what is not
    /// a product (attention core, norms, the optimizer) costs the rest.
    public var shareOfSgemm: Double
    /// Two ranks on one host (shared memory); nil: not measured.
    public var intraHost: Link?
    /// Two ranks on different hosts; nil: not measured.
    public var interHost: Link?

    /// bench/README.md, "MFU and the machine's own sgemm rate": a 1-thread debugmodel step at
    /// seq_len 256 ran at 94-100% (median 98%) of the sgemm rate measured beside it, over 5
    /// rounds on this machine. Measured for one rank on a core; the model applies it to a rank
    /// sharing its core too (the probe's all-busy rate has the sharing in it).
    public static let defaultShareOfSgemm = 0.98

    public init(rankFlops: Double, shareOfSgemm: Double = defaultShareOfSgemm, intraHost: Link?, interHost: Link?) {
        self.rankFlops = rankFlops
        self.shareOfSgemm = shareOfSgemm
        self.intraHost = intraHost
        self.interHost = interHost
    }

    /// The model of `topology` for a job of `ranks` ranks on the same hosts: each rank's rate is
    /// one core's shared out over the cores the probe's ranks had between them
    /// (`Topology.Compute.rankFlops(ranks:)`), the links as the probe measured them.
    public init(topology: Topology, ranks: Int, shareOfSgemm: Double = defaultShareOfSgemm) {
        func link(_ l: Topology.Link?) -> Link? {
            l.map { Link(latencySeconds: $0.latencySeconds, bandwidthBytesPerSecond: $0.bandwidthBytesPerSecond,
                         bothWaysBandwidthBytesPerSecond: $0.bothWaysBandwidthBytesPerSecond,
                         bothWays: $0.bothWays.map { ($0.bytes, $0.medianSeconds) }) }
        }
        self.init(rankFlops: topology.compute.rankFlops(ranks: ranks), shareOfSgemm: shareOfSgemm,
                  intraHost: link(topology.intraHost), interHost: link(topology.interHost))
    }

    /// FLOP/s a step's compute runs at on one rank.
    public var stepFlops: Double { rankFlops * shareOfSgemm }
}
