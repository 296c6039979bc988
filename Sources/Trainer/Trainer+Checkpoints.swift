import Checkpoint
import Foundation
import RunSpec
import Synchronization

// Checkpoints of the run (docs/checkpoints.md): saving on a schedule or on request, and what
// rank 0 says about a resume.
extension Trainer {
    /// Asks for a checkpoint at the end of the current step (from any thread, on any rank; the
    /// ranks agree on it after the step). Needs `checkpointDir`.
    public func requestCheckpoint() { checkpointRequest.set() }

    /// Collective: writes a checkpoint of the state after `completedSteps` steps now.
    @discardableResult
    public func saveCheckpoint() throws -> SaveResult {
        guard let dir = config.checkpointDir else { throw ConfigError("a checkpoint needs --checkpoint-dir") }
        mesh.activity.enter(.checkpoint)
        defer { mesh.activity.enter(.idle) }
        let result = try CheckpointWriter.save(step: completedSteps, run: runRecord(), state: localState,
                                               store: CheckpointStore(path: dir), world: mesh.world, mesh: mesh.shape,
                                               keep: config.keepCheckpoints)
        if mesh.rank == 0 {
            log(String(format: "Saved checkpoint %@ (%d file%@, %.1f MB) in %.2f seconds", result.url.path, result.files,
                       result.files == 1 ? "" : "s", Double(result.bytes) / 1e6, result.seconds))
            for name in result.removed { log("Removed old checkpoint \(name) (--keep-checkpoints \(config.keepCheckpoints ?? 0))") }
            onCheckpoint?(result)
        }
        return result
    }

    /// Every `checkpointEvery` steps, or when some rank was asked (agreed over the world).
    func checkpointDue(afterStep step: Int) throws -> Bool {
        guard config.checkpointDir != nil else { return false }
        let due = config.checkpointEvery > 0 && step % config.checkpointEvery == 0
        var asked: Int32 = checkpointRequest.take() ? 1 : 0
        if mesh.world.size > 1 { asked = try mesh.world.allReduce([asked], op: .max)[0] }
        return due || asked != 0
    }

    /// This rank's parameters and AdamW moments, and where they sit in the full layout.
    var localState: LocalState {
        LocalState(params: parallel.parameters, expAvg: optimizer.m, expAvgSq: optimizer.v, pieces: parallel.pieces)
    }

    /// The essentials a checkpoint records besides the tensors.
    public func runRecord() -> RunRecord {
        let o = config.optimizer
        return RunRecord(flavor: config.flavor, model: config.model, optimizerStepCount: optimizer.stepCount, lr: o.lr,
                         beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, steps: config.steps,
                         warmupSteps: config.warmupSteps, decayRatio: config.decayRatio, minLRFactor: config.minLRFactor,
                         maxNorm: config.maxNorm, seqLen: config.seqLen, localBatchSize: config.localBatchSize,
                         gradAccum: config.gradAccum, sequencesPerStep: plan.sequencesPerStep, nextDataStep: completedSteps,
                         seed: config.seed, dataPath: config.dataPath, tokenizerPath: config.tokenizerPath)
    }

    /// What rank 0 says about the resume: where from, and what differs from the run that wrote it.
    func resumeLines(dir: String) -> [String] {
        guard let resumed else { return ["No checkpoint in \(dir): training from step 1"] }
        let m = resumed.manifest
        var lines = [String(format: "Loaded checkpoint %@ (step %d, written on mesh %@ by %d rank%@) in %.2f seconds; resuming at step %d",
                            resumed.url.path, m.step, m.mesh.description, m.worldSize, m.worldSize == 1 ? "" : "s",
                            resumed.seconds, m.step + 1)]
        if !resumed.removedTemporary.isEmpty {
            lines.append("Removed unfinished checkpoint folders: \(resumed.removedTemporary.joined(separator: ", "))")
        }
        // Split differently (local batch, accumulation, world) is fine; other changes alter the run.
        let ignored: Set = ["localBatchSize", "gradAccum", "flavor", "seed"]
        let changes = runRecord().differences(from: m.run).filter { !ignored.contains($0.field) }
        if !changes.isEmpty {
            lines.append("Note: this run differs from the checkpoint's: "
                + changes.map { "\($0.field) \($0.there) -> \($0.here)" }.joined(separator: ", "))
        }
        return lines
    }
}

/// A "checkpoint now" request, set from any thread and taken by the training loop.
final class CheckpointRequest: Sendable {
    private let pending = Atomic(false)
    func set() { pending.store(true, ordering: .sequentiallyConsistent) }
    func take() -> Bool { pending.exchange(false, ordering: .sequentiallyConsistent) }
}
