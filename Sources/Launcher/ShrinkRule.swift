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
        if let hosts, let lostHost = loss?.host {
            let kept = hosts.hosts.filter { $0.name != lostHost }
            guard !kept.isEmpty else { throw LaunchError("cannot shrink: host \(lostHost) was the only host, no rank survives") }
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
