/// Where mpirun puts a job's ranks on its hosts: by slot (its default: a host's slots fill before
/// the next host's) or by node (`--map-by node`, `OMPI_MCA_rmaps_base_mapping_policy=node`: one
/// rank per host in turn).
public struct Placement: Equatable, Sendable {
    public enum Policy: String, CaseIterable, Sendable {
        case slot, node
    }

    /// Each host's slots, in the hostfile's order.
    public var slots: [Int]
    public var policy: Policy

    public init(slots: [Int], policy: Policy) {
        self.slots = slots
        self.policy = policy
    }

    /// `hosts` hosts with the ranks' share each (`meshtop plan --hosts`).
    public static func evenly(hosts: Int, ranks: Int, policy: Policy = .slot) -> Placement {
        Placement(slots: Array(repeating: max(1, ranks / max(1, hosts)), count: max(1, hosts)), policy: policy)
    }

    public var hosts: Int { slots.count }

    /// The host of each of `ranks` ranks. Past every slot (oversubscribed) the hosts fill again
    /// in the same order.
    public func hostOfRank(ranks: Int) -> [Int] {
        guard !slots.isEmpty else { return Array(repeating: 0, count: ranks) }
        var used = Array(repeating: 0, count: slots.count)
        var hosts: [Int] = []
        var host = 0
        for _ in 0 ..< ranks {
            // The next host with a free slot, from `host` on; none free: a new round of slots.
            if !(0 ..< slots.count).contains(where: { used[$0] < slots[$0] }) {
                used = Array(repeating: 0, count: slots.count)
                host = 0
            }
            while used[host] >= slots[host] { host = (host + 1) % slots.count }
            hosts.append(host)
            used[host] += 1
            if policy == .node { host = (host + 1) % slots.count }
        }
        return hosts
    }
}
