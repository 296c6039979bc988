import Telemetry

/// Where a run's ranks sit: each host with its ranks (hosts in the order of their first rank),
/// and whether the mesh's groups stay on one host. A shard group (a replica's row) that spans
/// hosts sends its all-gathers and reduce-scatters over the slower link; a replicate group (a
/// column) always does once there are several hosts, for the gradients' all-reduce.
public struct HostPlacement: Equatable, Sendable {
    public struct Host: Equatable, Sendable {
        public let name: String
        public let ranks: [Int]

        public init(name: String, ranks: [Int]) {
            self.name = name
            self.ranks = ranks
        }
    }

    public let hosts: [Host]
    private let hostOfRank: [Int: String]

    public init(_ ranks: [RankIdentity]) {
        var order: [String] = []
        var members: [String: [Int]] = [:]
        for rank in ranks.sorted(by: { $0.rank < $1.rank }) {
            if members[rank.host] == nil { order.append(rank.host) }
            members[rank.host, default: []].append(rank.rank)
        }
        hosts = order.map { Host(name: $0, ranks: members[$0]!) }
        hostOfRank = Dictionary(ranks.map { ($0.rank, $0.host) }, uniquingKeysWith: { first, _ in first })
    }

    public var isMultiHost: Bool { hosts.count > 1 }

    /// Whether `group`'s ranks sit on more than one host (unknown ranks count as their own host).
    public func crossesHosts(_ group: [Int]) -> Bool {
        Set(group.map { hostOfRank[$0] ?? "?\($0)" }).count > 1
    }

    /// How many of the mesh's shard groups (rows) and replicate groups (columns) span hosts.
    public func crossing(replicate: Int, shard: Int) -> (shardGroups: Int, replicateGroups: Int) {
        let rows = (0 ..< replicate).filter { crossesHosts(MeshGroups.shardGroup(ofRank: $0 * shard, replicate: replicate, shard: shard)) }
        let columns = (0 ..< shard).filter { crossesHosts(MeshGroups.replicateGroup(ofRank: $0, replicate: replicate, shard: shard)) }
        return (rows.count, columns.count)
    }

    /// `ranks on 2 hosts: mt10-1 0-1, mt10-2 2-3; shard groups within hosts, replicate groups across them`.
    public func line(replicate: Int, shard: Int) -> String {
        let placed = hosts.map { "\($0.name) \(Self.ranges($0.ranks))" }.joined(separator: ", ")
        let crossing = crossing(replicate: replicate, shard: shard)
        func groups(_ name: String, _ crossingCount: Int, of total: Int) -> String {
            crossingCount == 0 ? "\(name) groups within hosts"
                : crossingCount == total ? "\(name) groups across hosts" : "\(crossingCount) of \(total) \(name) groups across hosts"
        }
        return "ranks on \(hosts.count) hosts: \(placed); \(groups("shard", crossing.shardGroups, of: replicate)), "
            + groups("replicate", crossing.replicateGroups, of: shard)
    }

    /// `0-3, 6` for [0, 1, 2, 3, 6].
    static func ranges(_ ranks: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < ranks.count {
            var j = i
            while j + 1 < ranks.count && ranks[j + 1] == ranks[j] + 1 { j += 1 }
            parts.append(j == i ? "\(ranks[i])" : "\(ranks[i])-\(ranks[j])")
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }
}
