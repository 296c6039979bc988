import Collectives
import Foundation
import RunSpec
import Telemetry
import Trainer

/// How a run ended early, on every rank alike (thrown out of the step callback).
struct RunEnding: Error {
    var status: Int32
    var reason: DoneReason
    static let stopped = RunEnding(status: ExitStatus.success.rawValue, reason: .stopped)
    static let reconfigure = RunEnding(status: ExitStatus.reconfigure.rawValue, reason: .reconfigure)
}

/// Rank 0's tally for the `done` event.
struct RunSession {
    var ending: RunEnding?
    private var start: Double?
    private var steps = 0
    private var tokens = 0
    private var finalLoss: Double?
    private var mfuSum = 0.0

    mutating func record(_ report: StepReport) {
        if start == nil { start = Date().timeIntervalSince1970 - report.local.seconds.total }
        steps += 1
        tokens += report.ranks.isEmpty ? report.local.tokens : report.ranks.reduce(0) { $0 + $1.tokens }
        finalLoss = report.loss
        if !report.ranks.isEmpty { mfuSum += report.ranks.reduce(0.0) { $0 + $1.throughput.mfu } / Double(report.ranks.count) }
    }

    func summary(_ trainer: Trainer?) -> RunSummary {
        RunSummary(steps: trainer?.completedSteps ?? steps, tokens: tokens,
                   seconds: start.map { Date().timeIntervalSince1970 - $0 } ?? 0, finalLoss: finalLoss,
                   meanMFU: steps > 0 && mfuSum > 0 ? mfuSum / Double(steps) : nil)
    }
}

/// The front end's commands, taken by rank 0 at each step boundary and broadcast so that every
/// rank acts on the same step: stop (checkpoint first when checkpoints are on, exit 0),
/// checkpoint, pause/resume, reconfigure (checkpoint, then exit with status 3).
final class StepControl {
    private let telemetry: TelemetrySender?
    private let trainer: Trainer
    private let log: (String) -> Void

    init(telemetry: TelemetrySender?, trainer: Trainer, log: @escaping (String) -> Void) {
        self.telemetry = telemetry
        self.trainer = trainer
        self.log = log
    }

    /// Collective (every rank, after every step).
    func atStepBoundary(step: Int) throws {
        var words = StepDecision.go.words
        if trainer.mesh.rank == 0, let telemetry { words = decide(telemetry, step: step).words }
        let world = trainer.mesh.world
        if world.size > 1 {
            try words.withUnsafeMutableBufferPointer { try world.broadcast($0, root: 0) }
        }
        let decision = StepDecision(words: words)
        let hasCheckpoints = trainer.config.checkpointDir != nil
        if decision.checkpoint || (decision.action != .go && hasCheckpoints) { try trainer.saveCheckpoint() }
        switch decision.action {
        case .go: return
        case .stop:
            if trainer.mesh.rank == 0 { log("Stopped by the front end after step \(step)") }
            throw RunEnding.stopped
        case .reconfigure:
            if trainer.mesh.rank == 0, let mesh = decision.mesh {
                log("Stopping after step \(step) to restart on mesh (\(mesh.replicate), \(mesh.shard))")
            }
            throw RunEnding.reconfigure
        }
    }

    /// Rank 0: what the queued commands ask for; holds here while paused.
    private func decide(_ telemetry: TelemetrySender, step: Int) -> StepDecision {
        var checkpoint = false
        var paused = false
        var commands = telemetry.pendingCommands()
        while true {
            for command in commands {
                switch command {
                case .stop:
                    return StepDecision(.stop, checkpoint: checkpoint)
                case .checkpoint:
                    if trainer.config.checkpointDir == nil {
                        warn("checkpoint asked for at step \(step), but the run has no --checkpoint-dir: ignored", step)
                    } else { checkpoint = true }
                case .pause:
                    if !paused { paused = true; log("Paused after step \(step)") }
                case .resume:
                    if paused { paused = false; log("Resumed after step \(step)") }
                case .reconfigure(let target):
                    if trainer.config.checkpointDir == nil {
                        warn("reconfigure asked for at step \(step), but the run has no --checkpoint-dir to resume from: ignored", step)
                    } else if let mesh = try? MeshShape(replicate: target.replicate, shard: target.shard) {
                        return StepDecision(.reconfigure, mesh: mesh)
                    } else {
                        warn("reconfigure to [\(target.replicate), \(target.shard)] asked for at step \(step): not a mesh; ignored", step)
                    }
                }
            }
            if !paused { return StepDecision(.go, checkpoint: checkpoint) }
            if case .failed = telemetry.state {
                log("The front end is gone while paused: resuming")
                return StepDecision(.go, checkpoint: checkpoint)
            }
            usleep(100_000)
            commands = telemetry.pendingCommands()
        }
    }

    private func warn(_ message: String, _ step: Int) {
        printError("meshtop-rank: \(message)")
        telemetry?.send(.warning(Notice(message: message, rank: 0, step: step)))
    }
}
