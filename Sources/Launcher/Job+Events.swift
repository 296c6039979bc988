import Foundation
import RunSpec
import Telemetry

// How a switch moves with the events of the generations, and how a failed one is reported.
extension Job {
    /// A generation's event: the checkpoint of a switch, the new ranks' hello and first step.
    func observe(_ record: TelemetryRecord) {
        let now = Date().timeIntervalSince1970
        let changed: (Switch, finished: Bool)? = lock.withLock {
            if case .checkpoint(let c) = record.event {
                newestCheckpoint = c
                if pending?.record.phase == .checkpointing { pending?.record.checkpoint = c }
                return nil
            }
            guard var current = pending?.record else { return nil }
            switch (record.event, current.phase) {
            case (.hello, .relaunching):
                current.phases.append(PhaseStart(phase: .resharding, time: now))
                pending?.record = current
                currentState = .running(.resharding)
                return (current, false)
            case (.step(let step), .relaunching), (.step(let step), .resharding):
                current.phases.append(PhaseStart(phase: .running, time: now))
                current.firstStep = step.step
                current.firstStepTime = now
                done.append(current)
                pending = nil
                currentState = .running(.running)
                return (current, true)
            default:
                return nil
            }
        }
        guard let (record, finished) = changed else { return }
        if finished {
            say(String(format: "now on mesh %@: step %d came %.2f s after the %@", record.to.text, record.firstStep ?? 0,
                       record.seconds ?? 0, record.isRetry ? "retry" : "switch was asked for"))
        }
        onPhase?(record)
    }

    /// Ends the switch under way as failed, with `message` as the one line that says so.
    func fail(_ message: String) {
        let record: Switch? = lock.withLock {
            guard var current = pending?.record else { return nil }
            current.failure = message
            done.append(current)
            pending = nil
            currentState = .switchFailed(message)
            return current
        }
        say(message)
        if let record { onPhase?(record) }
    }

    /// Which checkpoint a retry resumes from, and whether it is still whole (its manifest is
    /// written last, so a folder with one is complete).
    func checkpointNote() -> String {
        let (newest, old) = lock.withLock { (newestCheckpoint, (pending?.record ?? done.last).map { $0.isRetry ? $0.to : $0.from }) }
        let retry = old.map { "retryOnPreviousMesh() resumes on mesh \($0.text)" } ?? "a retry resumes"
        guard let newest else { return "no checkpoint was written by this job: \(retry) from the newest in --checkpoint-dir, if any" }
        let manifest = URL(fileURLWithPath: newest.path).appendingPathComponent("manifest.json").path
        let whole = FileManager.default.fileExists(atPath: manifest) ? "is intact" : "has no manifest (damaged)"
        return "the newest checkpoint, \(newest.path) (step \(newest.step)), \(whole): \(retry) from it"
    }

    /// A plan whose ranks write checkpoints (a switch resumes from one).
    static func hasCheckpointDir(_ plan: LaunchPlan) -> Bool {
        plan.rankArguments.contains { $0 == "--checkpoint-dir" || $0.hasPrefix("--checkpoint-dir=") }
    }
}
