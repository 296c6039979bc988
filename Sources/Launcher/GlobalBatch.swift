import Foundation
import RunOptions
import RunSpec

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
    public func split(over mesh: MeshShape, keepingLocalBatch localBatchSize: Int) throws -> (localBatchSize: Int, gradAccum: Int) {
        do { return try split(ranks: mesh.worldSize, keepingLocalBatch: localBatchSize) } catch {
            throw LaunchError("mesh \(mesh): \(error)")
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
    /// This plan moved to `mesh`: the batch split keeping `batch` (the local batch `localBatchSize`
    /// kept where it divides), resuming from the newest checkpoint, everything else as it was.
    public func relaunched(on mesh: MeshShape, keeping batch: GlobalBatch, localBatchSize: Int) throws -> LaunchPlan {
        let split = try batch.split(over: mesh, keepingLocalBatch: localBatchSize)
        var spec = self.spec
        spec.mesh = mesh
        spec.localBatchSize = split.localBatchSize
        spec.gradAccum = split.gradAccum
        spec.resume = .latest
        var plan = self
        plan.spec = spec
        plan.ranks = mesh.worldSize
        plan.rankArguments = RankArguments.of(spec)
        return plan
    }
}
