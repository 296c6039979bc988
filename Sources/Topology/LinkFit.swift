/// A link's latency and bandwidth from ping-pong samples. The smallest message's one-way time is
/// the latency (it carries almost no bytes). The bandwidth is the slope of a least-squares line
/// through the larger messages' times: what one more byte costs, with what every message pays
/// once taken out (the latency, a rendezvous, a shaper's burst let through at line rate), which
/// bytes over time would count as speed. Best times, not medians: a link's speed is the fastest
/// it was seen to go; what slowed the other repetitions (a rank descheduled on a shared core)
/// is not the link's.
public enum LinkFit {
    public static func link(ranks: [Int], samples: [Topology.Sample]) -> Topology.Link? {
        let sorted = samples.sorted { $0.bytes < $1.bytes }
        guard sorted.count >= 2, let smallest = sorted.first, let largest = sorted.last, largest.bytes > smallest.bytes else { return nil }
        let latency = smallest.bestSeconds
        var bandwidth = 1 / slope(Array(sorted.dropFirst()))
        // One large size, or noise making the slope flat or negative: bytes over time instead.
        if !(bandwidth > 0 && bandwidth.isFinite) {
            bandwidth = Double(largest.bytes) / max(largest.bestSeconds - latency, largest.bestSeconds / 2)
        }
        guard bandwidth > 0, bandwidth.isFinite else { return nil }
        return Topology.Link(ranks: ranks, latencySeconds: latency, bandwidthBytesPerSecond: bandwidth, samples: sorted)
    }

    /// Seconds per byte of the line through (bytes, best seconds); 0 with fewer than two sizes.
    static func slope(_ samples: [Topology.Sample]) -> Double {
        guard samples.count >= 2 else { return 0 }
        let n = Double(samples.count)
        let x = samples.map { Double($0.bytes) }, y = samples.map(\.bestSeconds)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        let sxx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +)
        let sxy = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        return sxx > 0 ? sxy / sxx : 0
    }

    /// Each way's rate while both ranks send at once: the largest exchange's bytes over its
    /// median time (latency is nothing beside it). The median, not the best: both ways, the test
    /// hosts' shaped link swung between its rate and about half of it from one exchange of 4-12 MB
    /// to the next (likely each host's queue holding one way's acknowledgements behind the other
    /// way's data), and a step's exchanges meet the usual state, not the luckiest.
    public static func bothWaysBandwidth(_ samples: [Topology.Sample]) -> Double? {
        guard let largest = samples.max(by: { $0.bytes < $1.bytes }), largest.medianSeconds > 0 else { return nil }
        return Double(largest.bytes) / largest.medianSeconds
    }
}
