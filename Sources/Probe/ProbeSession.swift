import Collectives
import Foundation
import Metrics
import Topology

/// The probe as every rank runs it (collective over the world): where the ranks are, the sgemm
/// rate of rank 0 alone and of every rank at once, then a ping-pong within a host and one
/// between hosts. Ranks not being measured wait asleep (a spinning wait would take the CPU a
/// measured rank shares with them). Rank 0 says each phase through `progress` and returns the
/// topology; the others return nil.
public struct ProbeSession {
    public struct Settings: Sendable {
        /// The window of the all-busy sgemm measurement (rank 0 alone gets half of it).
        public var sgemmSeconds = 2.0
        var pingPong = PingPong.Schedule()
        public var maxMessageBytes: Int {
            get { pingPong.maxBytes }
            set { pingPong.maxBytes = newValue }
        }
        public var targetSeconds: Double {
            get { pingPong.targetSeconds }
            set { pingPong.targetSeconds = newValue }
        }
        public init() {}
    }

    let world: MPICommunicator
    let settings: Settings
    let progress: (String) -> Void

    public init(world: MPICommunicator, settings: Settings, progress: @escaping (String) -> Void) {
        self.world = world
        self.settings = settings
        self.progress = progress
    }

    public func run() throws -> Topology? {
        let placement = try place()
        let hosts = placement.hosts
        let cores = try gatherCores()
        say("\(world.size) ranks on \(hosts.count) host\(hosts.count == 1 ? "" : "s"): "
            + hosts.map { "\($0.name) \(ranges($0.ranks))" }.joined(separator: ", "))

        var alone = 0.0
        if world.rank == 0 { alone = SustainedSgemm.flops(seconds: settings.sgemmSeconds / 2) }
        try quietWait(root: 0)
        say("sgemm \(SgemmProbe.shape), rank 0 alone: \(gflops(alone)) a core")
        try world.barrier()
        let mine = SustainedSgemm.flops(seconds: settings.sgemmSeconds)
        let busy = try gatherDoubles(mine)
        if world.rank == 0 {
            let compute = Topology.Compute(shape: SgemmProbe.shape, coreFlopsAlone: alone, rankFlopsAllBusy: busy)
            say("every rank at once: \(gflops(busy.reduce(0, +) / Double(busy.count))) a rank (mean; "
                + "\(String(format: "%.2f", compute.effectiveCores)) cores' worth in all)")
        }

        let intra = try measure(placement.intraHostPair, what: "within host \(hosts[0].name)")
        let inter = try measure(placement.interHostPair,
                                what: "between \(hosts[0].name) and \(hosts.count > 1 ? hosts[1].name : "")")
        guard world.rank == 0 else { return nil }
        return Topology(
            measuredAt: Date().timeIntervalSince1970,
            hosts: hosts.map { host in Topology.Host(name: host.name, ranks: host.ranks.count, cores: cores[host.ranks[0]]) },
            compute: Topology.Compute(shape: SgemmProbe.shape, coreFlopsAlone: alone, rankFlopsAllBusy: busy),
            intraHost: intra, interHost: inter)
    }

    /// The ping-pong of one pair (nil: no such pair), the other ranks asleep meanwhile.
    private func measure(_ pair: (Int, Int)?, what: String) throws -> Topology.Link? {
        guard let (leader, partner) = pair else { return nil }
        var samples: [Topology.Sample] = [], both: [Topology.Sample] = []
        if world.rank == leader || world.rank == partner {
            let pingPong = PingPong(world: world, peer: world.rank == leader ? partner : leader, leads: world.rank == leader)
            samples = try pingPong.run(settings.pingPong)
            // 5, not 3: both ways a shaped link swings between two states, and the median of 3
            // landed on the slow one for a whole probe now and then (9.9 MB/s instead of ~14.5).
            both = try pingPong.bothWays(largest: samples.map(\.bytes).max() ?? 0, repetitions: 5)
        }
        try quietWait(root: leader)
        guard world.rank == 0, var link = LinkFit.link(ranks: [leader, partner], samples: samples) else { return nil }
        link.bothWays = both
        link.bothWaysBandwidthBytesPerSecond = LinkFit.bothWaysBandwidth(both) ?? link.bandwidthBytesPerSecond
        say("\(what) (ranks \(leader) and \(partner)): latency \(Self.seconds(link.latencySeconds)), "
            + "bandwidth \(Self.rate(link.bandwidthBytesPerSecond)), both ways at once \(Self.rate(link.bothWaysBandwidthBytesPerSecond)) each")
        return link
    }

    /// Every rank's hostname, on every rank.
    private func place() throws -> RankPlacement {
        let names = try world.gatherBytes(Array(Self.hostname.utf8), root: 0)
        let joined = names.map { $0.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n") } ?? ""
        let all = try world.broadcastBytes(Array(joined.utf8), root: 0)
        return RankPlacement(hostnames: String(decoding: all, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    }

    /// gethostname: Foundation's hostName may ask DNS, and test hosts differ only by this name.
    static var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func gatherCores() throws -> [Int] {
        try gatherDoubles(Double(ProcessInfo.processInfo.activeProcessorCount)).map { Int($0) }
    }

    /// Every rank's value, in rank order, on rank 0 (empty elsewhere).
    private func gatherDoubles(_ value: Double) throws -> [Double] {
        let mine = [value]
        var all = [Double](repeating: 0, count: world.rank == 0 ? world.size : 0)
        try mine.withUnsafeBufferPointer { send in
            try all.withUnsafeMutableBufferPointer { receive in
                try world.gather(send: send, receive: world.rank == 0 ? receive : nil, root: 0)
            }
        }
        return all
    }

    /// Returns on every rank once `root` has got here; the others sleep between looks.
    private func quietWait(root: Int) throws {
        var token: [UInt8] = [0]
        try token.withUnsafeMutableBufferPointer { buffer in
            let request = try world.startBroadcast(buffer, root: root)
            while try !request.test() { usleep(2_000) }
        }
    }

    private func say(_ line: String) { if world.rank == 0 { progress(line) } }

    private func gflops(_ flops: Double) -> String { String(format: "%.1f GF/s", flops / 1e9) }

    static func seconds(_ s: Double) -> String {
        s < 1e-3 ? String(format: "%.1f us", s * 1e6) : String(format: "%.2f ms", s * 1e3)
    }

    static func rate(_ bytesPerSecond: Double) -> String {
        bytesPerSecond >= 1e9 ? String(format: "%.2f GB/s", bytesPerSecond / 1e9) : String(format: "%.1f MB/s (%.0f Mbit/s)", bytesPerSecond / 1e6, bytesPerSecond * 8 / 1e6)
    }

    /// "0-1", "0,2": a host's ranks.
    private func ranges(_ ranks: [Int]) -> String {
        if let first = ranks.first, let last = ranks.last, ranks == Array(first ... last) {
            return first == last ? "rank \(first)" : "ranks \(first)-\(last)"
        }
        return "ranks " + ranks.map(String.init).joined(separator: ",")
    }
}
