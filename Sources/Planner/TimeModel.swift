import Topology

/// What a step time is predicted from: the rate a rank computes at and the two kinds of link,
/// taken from a probe's topology (`meshtop probe`) for a job of a given number of ranks.
public struct TimeModel: Equatable, Sendable {
    /// A link as the model uses it: a message pays `latency` once and its bytes at `bandwidth`.
    public struct Link: Equatable, Sendable {
        public var latencySeconds: Double
        public var bandwidthBytesPerSecond: Double
        public init(latencySeconds: Double, bandwidthBytesPerSecond: Double) {
            self.latencySeconds = latencySeconds
            self.bandwidthBytesPerSecond = bandwidthBytesPerSecond
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
            l.map { Link(latencySeconds: $0.latencySeconds, bandwidthBytesPerSecond: $0.bandwidthBytesPerSecond) }
        }
        self.init(rankFlops: topology.compute.rankFlops(ranks: ranks), shareOfSgemm: shareOfSgemm,
                  intraHost: link(topology.intraHost), interHost: link(topology.interHost))
    }

    /// FLOP/s a step's compute runs at on one rank.
    public var stepFlops: Double { rankFlops * shareOfSgemm }
}
