import ArgumentParser
import Launcher

extension FailurePolicy: ExpressibleByArgument {}

/// What `meshtop run` does when a rank or a host is lost (docs/recovery.md).
public struct RecoveryOptions: ParsableArguments {
    @Option(name: .customLong("on-failure"), help: ArgumentHelp(
        "What to do when a rank or a host is lost: stop (tear the job down and exit non-zero), restart (relaunch on the same mesh from the newest checkpoint that verifies) or shrink (relaunch on the best mesh the surviving ranks or hosts can form that keeps the global batch).",
        discussion: "restart and shrink need --checkpoint-dir; before the first checkpoint they start again from step 0. The losses after a relaunch are those of an uninterrupted run. See docs/recovery.md.",
        valueName: "stop|restart|shrink"))
    public var onFailure = FailurePolicy.stop

    @Option(name: .customLong("max-restarts"), parsing: .unconditional, help: ArgumentHelp(
        "With --on-failure restart or shrink: recover from this many failures at most; the next one ends the job (non-zero), naming every failure.",
        discussion: "A failure during a relaunch (before its first step) counts as another. Relaunches wait 0.5 s, then 1, 2 and at most 4 s (a back-off).",
        valueName: "n"))
    public var maxRestarts = 3

    public init() {}

    public func validate() throws {
        guard maxRestarts >= 0 else { throw ValidationError("--max-restarts \(maxRestarts): must be 0 or more") }
    }

    /// Refused (one line) when a relaunch would have nothing to resume from.
    public func check(checkpointDir: String?) throws {
        guard onFailure == .stop || checkpointDir != nil else {
            throw ValidationError("--on-failure \(onFailure.rawValue) needs --checkpoint-dir (a relaunch resumes from the newest checkpoint there)")
        }
    }

    public var recovery: Recovery { Recovery(policy: onFailure, maxRestarts: maxRestarts) }
}
