import Foundation
import Telemetry

/// The sequences of one optimizer step: local batch x gradient accumulation x data-parallel
/// ranks. A switch to another mesh keeps it (so the run after the switch is the run before it,
/// docs/checkpoints.md) by choosing a new split for the new number of ranks.
public struct GlobalBatch: Equatable, Sendable {
    public var sequences: Int

    public init(localBatchSize: Int, gradAccum: Int, ranks: Int) {
        sequences = localBatchSize * gradAccum * ranks
    }

    /// How `ranks` ranks carry it: the local batch kept when it divides each rank's share (the
    /// accumulation grows or shrinks), else the largest local batch below it that does.
    /// Refused, naming the mesh, when the ranks cannot share the sequences evenly.
    public func split(over mesh: MeshTarget, keepingLocalBatch localBatchSize: Int) throws -> (localBatchSize: Int, gradAccum: Int) {
        let ranks = mesh.replicate * mesh.shard
        guard ranks >= 1, mesh.replicate >= 1, mesh.shard >= 1 else {
            throw LaunchError("mesh \(mesh.replicate)x\(mesh.shard): replicate and shard must be at least 1")
        }
        do { return try split(ranks: ranks, keepingLocalBatch: localBatchSize) } catch {
            throw LaunchError("mesh \(mesh.replicate)x\(mesh.shard): \(error)")
        }
    }

    /// The same for `ranks` ranks, whatever their mesh (the mesh picker's world sizes).
    public func split(ranks: Int, keepingLocalBatch localBatchSize: Int) throws -> (localBatchSize: Int, gradAccum: Int) {
        guard ranks >= 1, sequences % ranks == 0 else {
            throw LaunchError("\(ranks) ranks cannot keep the global batch of \(sequences) sequences (not a multiple of \(ranks))")
        }
        let perRank = sequences / ranks
        let local = stride(from: min(localBatchSize, perRank), through: 1, by: -1).first { perRank % $0 == 0 } ?? 1
        return (local, perRank / local)
    }
}

extension LaunchPlan {
    /// The mesh its ranks are given (`--mesh RxS` or `R,S`); nil when the ranks choose.
    public var mesh: MeshTarget? {
        guard let index = rankArguments.firstIndex(of: "--mesh"), index + 1 < rankArguments.count else { return nil }
        let parts = rankArguments[index + 1].split(whereSeparator: { $0 == "x" || $0 == "," }).compactMap { Int($0) }
        return parts.count == 2 ? MeshTarget(replicate: parts[0], shard: parts[1]) : nil
    }

    /// This plan moved to `mesh`: its ranks, `--mesh`, the batch split keeping `batch`, and
    /// `--resume` (any other resume option dropped), everything else as it was.
    public func relaunched(on mesh: MeshTarget, keeping batch: GlobalBatch, localBatchSize: Int) throws -> LaunchPlan {
        let split = try batch.split(over: mesh, keepingLocalBatch: localBatchSize)
        var plan = self
        plan.ranks = mesh.replicate * mesh.shard
        let replaced: [String: String] = ["--mesh": "\(mesh.replicate)x\(mesh.shard)",
                                          "--local-batch-size": String(split.localBatchSize),
                                          "--grad-accum": String(split.gradAccum)]
        let dropped: [String: Bool] = ["--resume": false, "--resume-latest-valid": false, "--resume-step": true]  // takes a value?
        var kept: [String] = []
        var i = 0
        while i < rankArguments.count {
            let argument = rankArguments[i]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            let inline = argument.contains("=")
            if replaced[name] != nil {
                i += inline ? 1 : 2
            } else if let takesValue = dropped[name] {
                i += takesValue && !inline ? 2 : 1
            } else {
                kept.append(argument)
                i += 1
            }
        }
        plan.rankArguments = ["--mesh", replaced["--mesh"]!] + kept
            + ["--local-batch-size", replaced["--local-batch-size"]!, "--grad-accum", replaced["--grad-accum"]!, "--resume"]
        return plan
    }
}
