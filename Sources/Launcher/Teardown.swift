import Foundation
import Telemetry

/// How the supervisor ends a job, as a value: its loop feeds in what happened (signals, the clock,
/// what it saw of the ranks) and performs the actions that come back. No clock, processes or
/// telemetry in here, so every path of a teardown can be tested without mpirun (public for those
/// tests: the release build they run on has no testable imports).
///
/// Each turn of the loop is `.tick` (then `.stopSent` if it asked to send `stop`), then `.looked`
/// with what `looks` asked for: the ranks are looked at after this turn's signals are sent, and
/// before the kills that depend on what was seen.
public struct Teardown: Equatable, Sendable {
    public let stopGrace: Double
    public let livenessInterval: Double

    public private(set) var phase = Phase.running
    /// A stop began (rank 0 asked, a stop at once, or a lost rank's): from then on a signal kills
    /// at once. Always true while `stopping` or `terminating`.
    public private(set) var stopBegun = false
    /// SIGINT or SIGTERM arrived: the user wants the job to end, not to go on elsewhere.
    public private(set) var stopRequested = false
    /// The ranks that went before the run's `done`.
    public private(set) var lost: Loss?
    /// When it was found (the clock of `step`).
    public private(set) var lostAt: Double?
    /// The job was ended for hanging (`--on-hang stop`).
    public private(set) var stoppedHung = false
    /// Since when every rank had ended, rank 0's `done` having said a non-zero status.
    public private(set) var lingering: Double?
    private var nextLivenessCheck = 0.0

    public init(stopGrace: Double, livenessInterval: Double) {
        self.stopGrace = stopGrace
        self.livenessInterval = livenessInterval
    }

    public init(_ options: Supervisor.Options) {
        self.init(stopGrace: options.stopGrace, livenessInterval: options.livenessInterval)
    }

    /// What the loop must look at before `.looked`: reading every rank's /proc entry is most of a
    /// quiet job's cost to the front end, so only when it can change something.
    public func looks(now: Double, doneStatus: Int32?) -> (lost: Bool, ranksEnded: Bool) {
        // Every `livenessInterval`, well inside the 5 s a lost rank must be reported in.
        let lost = now >= nextLivenessCheck && self.lost == nil && doneStatus == nil
        let ranksEnded = (doneStatus ?? 0) != 0 && self.lost == nil && !killing
        return (lost, ranksEnded)
    }

    /// The transition: the new state, and what the supervisor must do, in order.
    public mutating func step(_ input: Input, now: Double) -> [Action] {
        switch input {
        case .tick(let signals, let doneStatus): return take(signals: signals, doneStatus: doneStatus) + stopDeadline(now)
        case .stopSent(let sent): return stopSent(sent, now) + stopDeadline(now)
        case .looked(let seen): return liveness(seen, now) + linger(seen, now) + killDeadline(now)
        case .hung: return stopHung(now) + stopDeadline(now)
        }
    }

    /// SIGTERM or SIGKILL has been sent: the job only has to go.
    private var killing: Bool {
        switch phase {
        case .running, .stopping: false
        case .terminating, .killed, .cutShort: true
        }
    }

    private mutating func take(signals: Int, doneStatus: Int32?) -> [Action] {
        guard signals > 0 else { return [] }
        stopRequested = true
        // The run has completed (a quit after the end, before mpirun's own exit): there is nothing
        // to stop, and stopping it would turn a finished run's status 0 into a failure.
        if doneStatus == 0 && !stopBegun && signals == 1 {
            stopBegun = true
            return [.say("the run has finished; waiting for mpirun to exit (again to kill now)")]
        }
        // Two at once (a user pressing twice) or one after a stop began: kill now.
        guard stopBegun || signals > 1 else { return [.sendStop] }
        if phase != .cutShort { phase = .killed }
        return [.say("killing the job"), .signalJob(SIGKILL)]
    }

    private mutating func stopSent(_ sent: Bool, _ now: Double) -> [Action] {
        stopBegun = true
        // Already killing (a stop asked for after a kill): the kill goes on, only the line is said.
        if phase == .running { phase = .stopping(deadline: sent ? now + stopGrace : now, asked: sent) }
        return [.say(sent ? "asked the ranks to stop at the end of the step; killing them in \(Int(stopGrace)) s (again to kill now)"
                     : "stopping the job (no telemetry session to ask)")]
    }

    /// Ranks that do not move cannot be asked to stop: straight to SIGTERM, then SIGKILL.
    private mutating func stopHung(_ now: Double) -> [Action] {
        guard !stoppedHung, phase == .running else { return [] }
        stoppedHung = true
        stopBegun = true
        phase = .stopping(deadline: now, asked: false)
        return [.say("the run is hung and --on-hang is stop: tearing the job down")]
    }

    private mutating func stopDeadline(_ now: Double) -> [Action] {
        guard case .stopping(let deadline, let asked) = phase, now >= deadline else { return [] }
        phase = .terminating(killAt: now + 2)
        let line: [Action] = asked ? [.say("the ranks did not stop within \(Int(stopGrace)) s: terminating them")] : []
        return line + [.signalJob(SIGTERM)]
    }

    private mutating func liveness(_ seen: Seen, _ now: Double) -> [Action] {
        guard now >= nextLivenessCheck else { return [] }
        nextLivenessCheck = now + livenessInterval
        guard lost == nil, seen.doneStatus == nil, let gone = seen.lost else { return [] }
        // The other ranks would wait for it in a collective forever: end them, and give mpirun
        // 2 s to end the job itself (its status then says how the first rank ended), else tear
        // it down. No line when that time is up: the report at the end says it.
        lost = gone
        lostAt = now
        if !killing {
            phase = .stopping(deadline: now + 2, asked: false)
            stopBegun = true
        }
        return (gone.line.map { [.say($0)] } ?? []) + [.killRanks(sparing: gone.ranks.map(\.pid))]
    }

    private mutating func linger(_ seen: Seen, _ now: Double) -> [Action] {
        guard let status = seen.doneStatus, status != 0, lost == nil, !killing, seen.ranksEnded else { return [] }
        // Every rank has ended and rank 0 said how: mpirun now only tears down, and after a
        // non-zero exit (a switch's status 3) it lingers 1-2 s. Give it 0.05 s, then end it.
        guard let since = lingering else {
            lingering = now
            return []
        }
        guard now >= since + 0.05 else { return [] }
        phase = .cutShort
        return [.killMpirun]
    }

    private mutating func killDeadline(_ now: Double) -> [Action] {
        guard case .terminating(let killAt) = phase, now >= killAt else { return [] }
        phase = .killed
        return [.signalJob(SIGKILL)]
    }
}
