import Foundation
import Model
import Parallel
import RunSpec

/// Fault injection for tests and demos (`--debug-slow-rank`, `--debug-stall-rank`; RunSpec's
/// FaultInjection.swift): a straggler and a hung rank on purpose, so the dashboard's and the
/// supervisor's handling of them can be seen and tested on one machine.
extension Trainer {
    /// The hooks a step's forward and backward run with: the strategy's (testing collectives only at
    /// unit boundaries on an oversubscribed host, Trainer+Progress), behind a delay on the rank
    /// `--debug-slow-rank` names.
    func stepHooks() -> StepHooks {
        let strategy: StepHooks = oversubscribed ? UnitBoundaryProgress(inner: parallel) : parallel
        guard let slow = config.debugSlowRank, slow.rank == mesh.rank, slow.factor > 1 else { return strategy }
        return SlowRankHooks(inner: strategy, extra: slow.factor - 1)
    }

    /// On the rank `--debug-stall-rank` names, at the start of its step: says so on stderr and stops
    /// itself (SIGSTOP) before any collective of the step; SIGCONT lets it go on.
    func stallIfAsked(step: Int) {
        guard let stall = config.debugStallRank, stall.rank == mesh.rank, stall.step == step else { return }
        let pid = getpid()
        FileHandle.standardError.write(Data(("meshtop-rank: rank \(mesh.rank) (pid \(pid)) stops before step \(step)'s "
            + "collectives (--debug-stall-rank); kill -CONT \(pid) lets it go on\n").utf8))
        raise(SIGSTOP)
    }

    /// Rank 0's start-up lines for the faults this run injects.
    var faultInjectionLines: [String] {
        var lines: [String] = []
        if let slow = config.debugSlowRank {
            lines.append("Fault injection (--debug-slow-rank): rank \(slow.rank)'s forward and backward take \(slow.factor)x as long")
        }
        if let stall = config.debugStallRank {
            lines.append("Fault injection (--debug-stall-rank): rank \(stall.rank) stops (SIGSTOP) at the start of step \(stall.step) until sent SIGCONT")
        }
        return lines
    }
}

/// The strategy's hooks, with a wait after each unit's forward and backward of `extra` times what
/// the unit's compute took (from the return of its `will` hook to its `did` hook), before the `did`
/// hook starts that unit's communication. The wait is the rank's own time, so it counts as compute.
final class SlowRankHooks: StepHooks {
    let inner: StepHooks
    let extra: Double
    private var unitStart = 0.0

    init(inner: StepHooks, extra: Double) {
        self.inner = inner
        self.extra = extra
    }

    var changesBindings: Bool { inner.changesBindings }

    func willForward(unit: Int) { inner.willForward(unit: unit); unitStart = monotonicSeconds() }
    func didForward(unit: Int) { delay(); inner.didForward(unit: unit) }
    func willBackward(unit: Int) { inner.willBackward(unit: unit); unitStart = monotonicSeconds() }
    func didBackward(unit: Int) { delay(); inner.didBackward(unit: unit) }
    func progress() { inner.progress() }

    /// Spins rather than sleeps: a slow rank is busy, and its peers spin in MPI's waits, so with more
    /// ranks than cores a sleeping rank would leave them the cores and make its own compute look
    /// slower still when it runs again among them.
    private func delay() {
        let now = monotonicSeconds()
        let deadline = now + extra * (now - unitStart)
        while monotonicSeconds() < deadline {}
    }
}
