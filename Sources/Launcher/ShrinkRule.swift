import Foundation
import RunSpec

/// The mesh `--on-failure shrink` goes on with: a pure rule, so every case is tested without
/// processes. The most ranks the survivors can be, no more than them, that still share the
/// global batch evenly (GlobalBatch.split); on those ranks, the old mesh's shard degree where it
/// divides them, else the largest divisor below it (FSDP stays FSDP as far as it can, and a
/// replica's shards stay on one host when the old ones were), the rest replicas.
public enum ShrinkRule {
    /// Where the next generation runs: its mesh, and the hosts when the job ran on several
    /// (the lost host dropped).
    public struct Choice: Equatable, Sendable {
        public var mesh: MeshShape
        public var hosts: Hostfile?
    }

    /// `ranks` of a job on `old` (across `hosts`, or here when nil) after `loss`.
    public static func choose(old: MeshShape, batch: GlobalBatch, loss: Loss?, hosts: Hostfile?) throws -> Choice {
        var remaining = hosts
        var survivors = old.worldSize - (loss?.ranks.count ?? 0)
        if let hosts, let loss, let lostHost = loss.host {
            // The hostfile may name a host by address where its ranks say its name: mpirun fills
            // each host's slots in turn, so the lost ranks say which entries they ran on.
            let lost = Set(loss.ranks.map(\.rank))
            var first = 0
            let kept = hosts.hosts.filter { host in
                defer { first += host.slots }
                let placed = Set(first ..< max(first, min(first + host.slots, old.worldSize)))
                return placed.isEmpty || !placed.isSubset(of: lost)
            }
            guard !kept.isEmpty, kept.count < hosts.hosts.count else {
                throw LaunchError(kept.isEmpty ? "cannot shrink: host \(lostHost) was the only host, no rank survives"
                                               : "cannot shrink: host \(lostHost) is not in the hostfile's ranks")
            }
            remaining = Hostfile(hosts: kept)
            survivors = min(old.worldSize, kept.map(\.slots).reduce(0, +))
        }
        guard survivors >= 1 else { throw LaunchError("cannot shrink: no rank of mesh \(old.bracketed) survives") }
        guard let ranks = stride(from: survivors, through: 1, by: -1).first(where: { batch.sequences % $0 == 0 }) else {
            throw LaunchError("cannot shrink: no number of ranks up to \(survivors) divides the global batch of \(batch.sequences) sequences")
        }
        let shard = stride(from: min(old.shard, ranks), through: 1, by: -1).first { ranks % $0 == 0 }!
        return Choice(mesh: try MeshShape(replicate: ranks / shard, shard: shard), hosts: remaining)
    }
}
