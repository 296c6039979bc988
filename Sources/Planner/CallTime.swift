/// How long one collective call takes over all its groups at once (they run side by side), on a
/// placement of ranks on hosts. Round by round (CallRounds): a round costs one latency (the
/// network's if any of its messages crosses hosts, else shared memory's) plus the bytes of its
/// busiest resource over that resource's bandwidth. Between hosts a host's link is one resource
/// each way, shared by every rank of the host (test hosts: one veth each, shaped both ways);
/// within a host each rank's sending and receiving are.
public struct CallTime: Equatable, Sendable {
    public var seconds = 0.0
    /// Bytes that crossed between hosts, all groups together.
    public var interHostBytes = 0
    /// Bytes between ranks of one host, all groups together.
    public var intraHostBytes = 0

    public init() {}
}

public enum CallTiming {
    /// nil when a kind of link the call needs was not measured.
    public static func time(_ call: CollectiveCall, groups: [[Int]], hostOfRank: [Int], model: TimeModel) -> CallTime? {
        let rounds = CallRounds.rounds(call)
        var total = CallTime()
        for round in rounds {
            var egress: [Int: Int] = [:], ingress: [Int: Int] = [:]
            var sent: [Int: Int] = [:], received: [Int: Int] = [:]
            for group in groups {
                for t in round {
                    let a = group[t.from], b = group[t.to]
                    if hostOfRank[a] != hostOfRank[b] {
                        egress[hostOfRank[a], default: 0] += t.bytes
                        ingress[hostOfRank[b], default: 0] += t.bytes
                        total.interHostBytes += t.bytes
                    } else {
                        sent[a, default: 0] += t.bytes
                        received[b, default: 0] += t.bytes
                        total.intraHostBytes += t.bytes
                    }
                }
            }
            var seconds = 0.0
            if !egress.isEmpty {
                guard let link = model.interHost else { return nil }
                let busiest = max(egress.values.max() ?? 0, ingress.values.max() ?? 0)
                seconds = link.latencySeconds + Double(busiest) / link.bandwidthBytesPerSecond
            }
            if !sent.isEmpty {
                guard let link = model.intraHost else { return nil }
                let busiest = max(sent.values.max() ?? 0, received.values.max() ?? 0)
                // The round waits for its slowest message; a crossing one already paid the latency.
                let local = (egress.isEmpty ? link.latencySeconds : 0) + Double(busiest) / link.bandwidthBytesPerSecond
                seconds = max(seconds, local)
            }
            total.seconds += seconds
        }
        return total
    }
}
