/// How long one collective call takes over all its groups at once (they run side by side), on a
/// placement of ranks on hosts. Round by round (CallRounds): a round costs one latency (the
/// network's if any of its messages crosses hosts, else shared memory's) plus the bytes of its
/// busiest resource over that resource's bandwidth. Between hosts a host's link is one resource
/// each way, shared by every rank of the host (test hosts: one veth each, shaped both ways);
/// within a host each rank's sending and receiving are. A resource whose other way carries
/// bytes in the same round runs at the link's both-ways bandwidth (exchanges, all-gathers).
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
                seconds = link.latencySeconds + busiest(egress, ingress, link)
            }
            if !sent.isEmpty {
                guard let link = model.intraHost else { return nil }
                // The round waits for its slowest message; a crossing one already paid the latency.
                seconds = max(seconds, (egress.isEmpty ? link.latencySeconds : 0) + busiest(sent, received, link))
            }
            total.seconds += seconds
        }
        return total
    }

    /// The longest time of any resource of one kind: each one's bytes out (or in) at the speed
    /// its link has with or without bytes the other way.
    static func busiest(_ out: [Int: Int], _ into: [Int: Int], _ link: TimeModel.Link) -> Double {
        let sending = out.map { link.seconds($0.value, busyBack: (into[$0.key] ?? 0) > 0) }
        let receiving = into.map { link.seconds($0.value, busyBack: (out[$0.key] ?? 0) > 0) }
        return (sending + receiving).max() ?? 0
    }
}
