/// Which host each rank of the probe runs on (by the hostname each reports), and the pairs it
/// measures: rank 0 with another rank of its host, and rank 0 with the first rank of another
/// host. Pure, so every rank derives the same pairs from the same names.
struct RankPlacement: Equatable {
    /// Each rank's hostname, in rank order.
    let hostnames: [String]

    /// The hosts in the order of their first rank, with their ranks.
    var hosts: [(name: String, ranks: [Int])] {
        var order: [String] = []
        var ranks: [String: [Int]] = [:]
        for (rank, name) in hostnames.enumerated() {
            if ranks[name] == nil { order.append(name) }
            ranks[name, default: []].append(rank)
        }
        return order.map { ($0, ranks[$0]!) }
    }

    /// Rank 0 and the next rank on its host.
    var intraHostPair: (Int, Int)? {
        guard let partner = hostnames.indices.dropFirst().first(where: { hostnames[$0] == hostnames[0] }) else { return nil }
        return (0, partner)
    }

    /// Rank 0 and the first rank on another host.
    var interHostPair: (Int, Int)? {
        guard let partner = hostnames.indices.first(where: { hostnames[$0] != hostnames[0] }) else { return nil }
        return (0, partner)
    }
}
