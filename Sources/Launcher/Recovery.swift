import Foundation
import RunSpec
import Telemetry

/// What `--on-failure` asks for when a rank or a host is lost (docs/recovery.md).
public enum FailurePolicy: String, CaseIterable, Sendable {
    /// Tear the job down and end, as without recovery.
    case stop
    /// Tear it down, then relaunch on the same mesh from the newest checkpoint that verifies.
    case restart
    /// Tear it down, then relaunch on the best mesh the surviving ranks can form (ShrinkRule).
    case shrink
}

/// How a job heals itself after a failure.
public struct Recovery: Equatable, Sendable {
    public var policy: FailurePolicy
    /// Failures recovered from at most; the next one ends the job.
    public var maxRestarts: Int
    /// Seconds before the n-th relaunch: `backoff` x 2^(n-1), at most `maxBackoff` (a fault that
    /// comes back at once, a port still held, gets a little room; a healthy relaunch is not slowed).
    public var backoff: Double
    public var maxBackoff: Double

    public init(policy: FailurePolicy = .stop, maxRestarts: Int = 3, backoff: Double = 0.5, maxBackoff: Double = 4) {
        self.policy = policy
        self.maxRestarts = maxRestarts
        self.backoff = backoff
        self.maxBackoff = maxBackoff
    }

    public func delay(attempt: Int) -> Double { min(maxBackoff, backoff * pow(2, Double(max(attempt, 1) - 1))) }
}

/// One failure of a job: what went, and where the run stood.
public struct Failure: Equatable, Sendable {
    /// "rank 3", "ranks 2, 3", "host mt2 (ranks 2, 3)", or how a relaunch failed.
    public var subject: String
    /// The ranks lost (empty when a relaunch failed before its first step without losing one).
    public var ranks: [Int]
    /// Every rank of this host was lost.
    public var host: String?
    /// The last step the front end saw completed (nil: none in that generation).
    public var step: Int?
    /// The mesh it happened on.
    public var mesh: MeshShape
    /// Seconds since 1970, this host's clock: when the failure was known (its generation ended).
    public var time: Double

    public init(subject: String, ranks: [Int], host: String?, step: Int?, mesh: MeshShape, time: Double) {
        self.subject = subject
        self.ranks = ranks
        self.host = host
        self.step = step
        self.mesh = mesh
        self.time = time
    }

    /// "rank 3 lost at step 41".
    public var text: String {
        "\(subject) \(ranks.isEmpty ? "failed" : "lost")" + (step.map { " at step \($0)" } ?? " before its first step") + " on \(mesh.bracketed)"
    }
}

/// One relaunch after a failure, filled in as it goes.
public struct RecoveryAttempt: Equatable, Sendable {
    public var failure: Failure
    /// 1 for the first relaunch of the job.
    public var attempt: Int
    public var mesh: MeshShape
    /// When the relaunch's mpirun started (after the back-off).
    public var relaunched: Double
    /// The new generation's first step, and when it came.
    public var firstStep: Int?
    public var firstStepTime: Double?

    public init(failure: Failure, attempt: Int, mesh: MeshShape, relaunched: Double) {
        self.failure = failure
        self.attempt = attempt
        self.mesh = mesh
        self.relaunched = relaunched
    }

    /// The step it resumed from (the checkpoint's), once the first step came.
    public var resumedAt: Int? { firstStep.map { $0 - 1 } }
    /// Steps done before the failure and done again.
    public var stepsRedone: Int? { resumedAt.map { max(0, (failure.step ?? 0) - $0) } }
    /// Failure to the first step on the new mesh.
    public var seconds: Double? { firstStepTime.map { $0 - failure.time } }

    /// "rank 3 lost at step 41; resumed at step 40 on [2, 1] in 2.1 s; 1 step redone".
    public var text: String {
        guard let resumedAt, let seconds, let redone = stepsRedone else {
            return "\(failure.text); relaunching on \(mesh.bracketed) (attempt \(attempt))"
        }
        return "\(failure.text); resumed at step \(resumedAt) on \(mesh.bracketed) in \(String(format: "%.1f", seconds)) s; "
            + "\(redone) step\(redone == 1 ? "" : "s") redone"
    }
}

extension MeshShape {
    /// "[2, 1]", as the dashboard writes a mesh.
    public var bracketed: String { "[\(replicate), \(shard)]" }
}
