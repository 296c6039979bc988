import Foundation
import RunOptions
import RunSpec
import Telemetry

/// A job's failures and relaunches so far (under `Job.lock`).
struct RecoveryLog {
    var failures: [Failure] = []
    var attempts: [RecoveryAttempt] = []
    /// The relaunch whose first step has not come yet.
    var pending: RecoveryAttempt?
    /// The last step completed in the running generation.
    var lastStep: Int?
    /// The hosts of the running generation when a shrink dropped one (a file of ours).
    var hostfile: String?
}

/// What follows a generation that ended in a failure `--on-failure` recovers from.
enum RecoveryDecision {
    case relaunch(LaunchPlan)
    /// Past --max-restarts, or no mesh to go on with: the one line that says so.
    case giveUp(String)
}

// `--on-failure restart|shrink` (docs/recovery.md): after a lost rank or host the generation is
// torn down as without it (every process gone); this relaunches from the newest checkpoint that
// verifies, so the data order, and so the losses, are those of an uninterrupted run.
extension Job {
    /// Every failure so far, and every relaunch after one (the last may still await its first step).
    public var failures: [Failure] { lock.withLock { recoveryLog.failures } }
    public var recoveries: [RecoveryAttempt] { lock.withLock { recoveryLog.attempts + (recoveryLog.pending.map { [$0] } ?? []) } }

    /// A generation's event: its steps, and the first one of a relaunch.
    func observeRecovery(_ record: TelemetryRecord) {
        guard case .step(let step) = record.event else { return }
        let now = Date().timeIntervalSince1970
        let finished: RecoveryAttempt? = lock.withLock {
            recoveryLog.lastStep = step.step
            guard var attempt = recoveryLog.pending else { return nil }
            attempt.firstStep = step.step
            attempt.firstStepTime = now
            recoveryLog.pending = nil
            recoveryLog.attempts.append(attempt)
            if currentState == .running(.relaunching) { currentState = .running(.running) }
            return attempt
        }
        guard let finished else { return }
        say(finished.text)
        emit(.resumed, finished.failure, count: finished.attempt, to: finished.mesh, finished.text, attempt: finished)
    }

    /// After a generation ended with `status`: a relaunch, a line to give up with, or nil when
    /// this is no failure to recover from (the run ended, the user stopped it, --on-failure stop).
    /// A relaunch that ends before its first step is a failure too, lost rank or not.
    func recover(status: Int32, supervisor: Supervisor, plan: LaunchPlan) -> RecoveryDecision? {
        guard recovery.policy != .stop, status != 0, !supervisor.stopRequested else { return nil }
        let lost = supervisor.lost
        let found: (failure: Failure, count: Int)? = lock.withLock {
            guard lost != nil || recoveryLog.pending != nil else { return nil }
            let subject = lost.map(Self.subject) ?? "the relaunch (mpirun status \(status))"
            let failure = Failure(subject: subject, ranks: lost?.ranks.map(\.rank) ?? [], host: lost?.host,
                                  step: recoveryLog.lastStep, mesh: mesh, time: supervisor.lostAt ?? Date().timeIntervalSince1970)
            recoveryLog.failures.append(failure)
            recoveryLog.pending = nil
            recoveryLog.lastStep = nil
            return (failure, recoveryLog.failures.count)
        }
        guard let (failure, count) = found else { return nil }
        guard count <= recovery.maxRestarts else {
            return giveUp(failure, count, "giving up after \(count) failure\(count == 1 ? "" : "s") (--max-restarts \(recovery.maxRestarts)): "
                          + failures.map(\.text).joined(separator: "; ") + "; " + newestCheckpointNote())
        }
        let next: LaunchPlan
        let chosen: ShrinkRule.Choice
        do {
            chosen = try choice(after: lost, plan: plan)
            next = try relaunchPlan(chosen, from: plan)
        } catch {
            return giveUp(failure, count, "\(failure.text); \(error); " + newestCheckpointNote())
        }
        let delay = recovery.delay(attempt: count)
        let from = newestCheckpoint.map { "the checkpoint of step \($0.step)" } ?? "step 0 (no checkpoint yet)"
        let line = "\(failure.text); relaunching on \(chosen.mesh.bracketed) from \(from) in \(String(format: "%.1f", delay)) s "
            + "(--on-failure \(recovery.policy.rawValue), failure \(count) of at most \(recovery.maxRestarts))"
        say(line)
        emit(.relaunching, failure, count: count, to: chosen.mesh, line)
        guard backOff(delay) else { return giveUp(failure, count, "stopped while waiting to relaunch; " + newestCheckpointNote()) }
        let attempt = RecoveryAttempt(failure: failure, attempt: count, mesh: chosen.mesh, relaunched: Date().timeIntervalSince1970)
        lock.withLock {
            recoveryLog.pending = attempt
            mesh = chosen.mesh
            currentState = .running(.relaunching)
        }
        return .relaunch(next)
    }

    private func giveUp(_ failure: Failure, _ count: Int, _ line: String) -> RecoveryDecision {
        emit(.gaveUp, failure, count: count, to: nil, line)
        return .giveUp(line)
    }

    /// A recovery event for the recording and the dashboard, through `onEvent`.
    private func emit(_ phase: RecoveryNotice.Phase, _ failure: Failure, count: Int, to: MeshShape?, _ line: String,
                      attempt: RecoveryAttempt? = nil) {
        let notice = RecoveryNotice(phase: phase, failure: count, lostRanks: failure.ranks, lostHost: failure.host,
                                    failedAfterStep: failure.step, from: [failure.mesh.replicate, failure.mesh.shard],
                                    to: to.map { [$0.replicate, $0.shard] }, resumedAtStep: attempt?.resumedAt,
                                    seconds: attempt?.seconds, stepsRedone: attempt?.stepsRedone, message: line)
        onEvent?(TelemetryRecord(time: Date().timeIntervalSince1970, event: .recovery(notice)))
    }

    /// The mesh and hosts of the relaunch: the same for restart, the survivors' best for shrink.
    private func choice(after lost: Loss?, plan: LaunchPlan) throws -> ShrinkRule.Choice {
        let hostfile = lock.withLock { recoveryLog.hostfile } ?? plan.hostfile
        guard recovery.policy == .shrink else { return ShrinkRule.Choice(mesh: plan.spec.mesh, hosts: nil) }
        let hosts = try hostfile.map(Hostfile.init(path:))
        let batch = GlobalBatch(localBatchSize: plan.spec.localBatchSize, gradAccum: plan.spec.gradAccum, ranks: plan.ranks)
        return try ShrinkRule.choose(old: plan.spec.mesh, batch: batch, loss: lost, hosts: hosts)
    }

    /// The planner's plan for the mesh, resuming from the newest checkpoint that verifies, on
    /// the surviving hosts (a hostfile written for them).
    private func relaunchPlan(_ chosen: ShrinkRule.Choice, from plan: LaunchPlan) throws -> LaunchPlan {
        var next = try planner(chosen.mesh, chosen.mesh.worldSize)
        next.spec.resume = .latestValid
        next.rankArguments = RankArguments.of(next.spec)
        next.hostfile = lock.withLock { recoveryLog.hostfile } ?? plan.hostfile
        if let hosts = chosen.hosts, hosts.hosts.count < (try plan.hostfile.map(Hostfile.init(path:))?.hosts.count ?? 0) {
            next.hostfile = try Self.write(hosts)
            lock.withLock { recoveryLog.hostfile = next.hostfile }
        }
        return next
    }

    /// Sleeps `seconds`; false when SIGINT or SIGTERM came meanwhile (the user wants it to end).
    private func backOff(_ seconds: Double) -> Bool {
        let before = JobSignals.received
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if JobSignals.received > before { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return JobSignals.received == before
    }

    /// "rank 3", "ranks 2, 3", "host mt2 (ranks 2, 3)".
    static func subject(_ loss: Loss) -> String {
        let numbers = loss.ranks.map { String($0.rank) }.joined(separator: ", ")
        let ranks = "rank\(loss.ranks.count == 1 ? "" : "s") \(numbers)"
        return loss.host.map { "host \($0) (\(ranks))" } ?? ranks
    }

    /// The newest checkpoint this job wrote, and whether it is whole (its manifest comes last).
    func newestCheckpointNote() -> String {
        guard let newest = lock.withLock({ newestCheckpoint }) else { return "no checkpoint was written by this job" }
        let manifest = URL(fileURLWithPath: newest.path).appendingPathComponent("manifest.json").path
        let whole = FileManager.default.fileExists(atPath: manifest) ? "intact" : "without its manifest (damaged)"
        return "the newest checkpoint, \(newest.path) (step \(newest.step)), is \(whole)"
    }

    /// The surviving hosts as a hostfile for mpirun (written whole, then renamed).
    static func write(_ hosts: Hostfile) throws -> String {
        let text = hosts.hosts.map { "\($0.name) slots=\($0.slots)" }.joined(separator: "\n") + "\n"
        let path = NSTemporaryDirectory() + "meshtop-survivors-\(getpid())-\(hosts.hosts.map(\.name).joined(separator: "+")).hosts"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }
}
