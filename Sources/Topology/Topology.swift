import Foundation

/// What `meshtop probe` measured of the machines a job runs on, and what `meshtop plan
/// --topology` predicts step times from: the hosts, the sgemm rate a rank gets, and the latency
/// and bandwidth of a message within a host and between hosts. Stored as JSON (`docs/multihost.md`
/// describes every field); `version` changes whenever a field changes meaning.
public struct Topology: Codable, Equatable, Sendable {
    public static let formatName = "meshtop-topology"
    public static let currentVersion = 1

    /// Always `meshtop-topology`: a JSON file of another kind is refused by name.
    public var format = Topology.formatName
    public var version = Topology.currentVersion
    /// When it was measured, Unix seconds.
    public var measuredAt: Double
    /// The hosts the probe ran on, in the order of their first rank.
    public var hosts: [Host]
    public var compute: Compute
    /// Two ranks on one host (shared memory); nil when no host had two ranks.
    public var intraHost: Link?
    /// Two ranks on different hosts (the network); nil on one host.
    public var interHost: Link?

    public struct Host: Codable, Equatable, Sendable {
        /// Its hostname, as its ranks report it.
        public var name: String
        /// Ranks the probe ran there.
        public var ranks: Int
        /// Cores it reports: test hosts on one machine all report that machine's.
        public var cores: Int

        public init(name: String, ranks: Int, cores: Int) {
            self.name = name; self.ranks = ranks; self.cores = cores
        }
    }

    /// The sgemm rate of the step's dense products (`SgemmProbe.shape`, one BLAS thread), as
    /// sustained over a window: FLOPs done over the wall time, so a rank sharing its core counts
    /// the time it waited.
    public struct Compute: Codable, Equatable, Sendable {
        /// The sgemm call measured.
        public var shape: String
        /// Rank 0 alone (every other rank asleep): one core's rate.
        public var coreFlopsAlone: Double
        /// Every rank at once: each rank's rate, in rank order.
        public var rankFlopsAllBusy: [Double]

        public init(shape: String, coreFlopsAlone: Double, rankFlopsAllBusy: [Double]) {
            self.shape = shape; self.coreFlopsAlone = coreFlopsAlone; self.rankFlopsAllBusy = rankFlopsAllBusy
        }

        /// How many cores' worth the probe's ranks got together: the sum of their rates over one
        /// core's. Test hosts share one machine's cores; this sees it, a core count cannot.
        public var effectiveCores: Double {
            guard coreFlopsAlone > 0 else { return 0 }
            return rankFlopsAllBusy.reduce(0, +) / coreFlopsAlone
        }

        /// The rate each of `ranks` ranks gets when all compute at once: one core's, shared out
        /// when the ranks exceed the effective cores.
        public func rankFlops(ranks: Int) -> Double {
            guard ranks > 0 else { return coreFlopsAlone }
            return coreFlopsAlone * min(1, effectiveCores / Double(ranks))
        }
    }

    /// One kind of link as a ping-pong between two ranks saw it.
    public struct Link: Codable, Equatable, Sendable {
        /// The two world ranks measured.
        public var ranks: [Int]
        /// One-way time of the smallest message (half the best round trip), seconds.
        public var latencySeconds: Double
        /// Bytes per second of the largest message, its latency taken out.
        public var bandwidthBytesPerSecond: Double
        /// Every size measured: one-way seconds, the best and the median of the repetitions.
        public var samples: [Sample]
        /// Bytes per second each way while both ranks send at once: the median of the largest
        /// exchange measured (`both_ways`).
        public var bothWaysBandwidthBytesPerSecond: Double
        /// Each exchange size: the seconds both ranks' MPI_Sendrecv of that many bytes took.
        public var bothWays: [Sample]

        public init(ranks: [Int], latencySeconds: Double, bandwidthBytesPerSecond: Double, samples: [Sample],
                    bothWaysBandwidthBytesPerSecond: Double? = nil, bothWays: [Sample] = []) {
            self.ranks = ranks; self.latencySeconds = latencySeconds
            self.bandwidthBytesPerSecond = bandwidthBytesPerSecond; self.samples = samples
            self.bothWaysBandwidthBytesPerSecond = bothWaysBandwidthBytesPerSecond ?? bandwidthBytesPerSecond
            self.bothWays = bothWays
        }

        /// One-way seconds of a message of `bytes`: latency plus bytes over bandwidth.
        public func seconds(bytes: Int) -> Double { latencySeconds + Double(bytes) / bandwidthBytesPerSecond }
    }

    public struct Sample: Codable, Equatable, Sendable {
        public var bytes: Int
        public var bestSeconds: Double
        public var medianSeconds: Double

        public init(bytes: Int, bestSeconds: Double, medianSeconds: Double) {
            self.bytes = bytes; self.bestSeconds = bestSeconds; self.medianSeconds = medianSeconds
        }
    }

    public init(measuredAt: Double, hosts: [Host], compute: Compute, intraHost: Link?, interHost: Link?) {
        self.measuredAt = measuredAt; self.hosts = hosts; self.compute = compute
        self.intraHost = intraHost; self.interHost = interHost
    }

    /// Ranks the probe ran, all hosts together.
    public var ranks: Int { hosts.map(\.ranks).reduce(0, +) }
}
