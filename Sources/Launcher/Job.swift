import CStdio
import Diagnosis
import Foundation
import RunSpec
import Telemetry

/// A training job across meshes: runs generations, each a `Supervisor` over one mpirun. A
/// switch (`reconfigure(to:worldSize:)`) asks rank 0 to checkpoint and exit with status 3 at
/// the next step boundary; the job then starts the next generation on the new mesh, resuming
/// (docs/reconfiguration.md). A switch that fails stops the job in `.switchFailed`, from which
/// `retryOnPreviousMesh()` goes back to the old mesh.
///
/// `run()` and `retryOnPreviousMesh()` block (call them from one thread); `reconfigure`, `state`
/// and `switches` may be used from any thread.
// @unchecked: the compiler cannot see that the configuration (`options`, `environment`, the
// callbacks) is set before `run()` and read only by its thread, and that the rest, a `Supervisor`
// over mpirun included, is touched only under `lock`/`outputLock`.
public final class Job: @unchecked Sendable {
    /// The launch plan of a relaunch on a mesh of that many ranks. It must resume (`--resume`)
    /// and keep the global batch; throwing refuses the mesh (the error is the one line shown).
    public typealias Planner = (MeshShape, _ worldSize: Int) throws -> LaunchPlan

    private let receiver: TelemetryReceiver
    private let firstPlan: LaunchPlan
    let planner: Planner
    public var options: Supervisor.Options
    /// mpirun's environment additions (the telemetry variables).
    public var environment: [String: String]
    /// Every rank's heartbeats (`meshtop run` sets it; its variable joins `environment`).
    public var heartbeats: HeartbeatReceiver? {
        didSet { heartbeats.map { environment.merge($0.environment) { $1 } } }
    }
    /// Every received event, in order, across generations, and the job's own `recovery` events
    /// between them (called on the thread of `run()`).
    public var onEvent: ((TelemetryRecord) -> Void)?
    /// A switch entered a phase (called on the thread of `run()`, or of `reconfigure`).
    public var onPhase: ((Switch) -> Void)?
    /// A hang began (its report, refreshed every second while it lasts) or ended (nil).
    public var onHang: ((HangReport?) -> Void)?
    /// The job's own lines (stderr by default).
    public var say: (String) -> Void = { fputs("meshtop: \($0)\n", mt_stderr()) }
    /// `--on-failure` and `--max-restarts` (Job+Recovery.swift).
    public var recovery = Recovery()
    var recoveryLog = RecoveryLog()

    let lock = NSLock()
    var currentState = State.notStarted
    var mesh: MeshShape
    var pending: (record: Switch, plan: LaunchPlan)?
    /// The pending switch's next generation, started when it was asked for (`startStandby`).
    var standby: Supervisor?
    private let outputLock = NSLock()
    var done: [Switch] = []
    var newestCheckpoint: Telemetry.Checkpoint?

    public init(plan: LaunchPlan, mesh: MeshShape, receiver: TelemetryReceiver,
                options: Supervisor.Options = Supervisor.Options(), planner: @escaping Planner) {
        firstPlan = plan
        self.mesh = mesh
        self.receiver = receiver
        self.options = options
        self.planner = planner
        environment = receiver.environment
    }

    public var state: State { lock.withLock { currentState } }
    /// The mesh of the running (or last) generation.
    public var currentMesh: MeshShape { lock.withLock { mesh } }
    /// Every switch so far (finished or failed), then the one under way.
    public var switches: [Switch] { lock.withLock { done + (pending.map { [$0.record] } ?? []) } }

    /// Runs the job until it ends or a switch fails; returns the exit status of its last generation
    /// (non-zero after a failed switch).
    public func run() throws -> Int32 {
        try lock.withLock {
            guard currentState == .notStarted else { throw LaunchError("the job has already run") }
            currentState = .running(.running)
        }
        return try runGenerations(firstPlan)
    }

    /// Asks for a switch to `mesh` at the next step boundary. Refused (one line) when the job is
    /// not training, a switch is under way, the plan has no `--checkpoint-dir` to resume from,
    /// `worldSize` is not R x S, the planner refuses the mesh, or rank 0 is not connected.
    public func reconfigure(to target: MeshShape, worldSize: Int) throws {
        let started: Switch = try lock.withLock {
            guard target.replicate >= 1, target.shard >= 1, worldSize == target.replicate * target.shard else {
                throw LaunchError("mesh \(target.replicate)x\(target.shard) needs \(target.replicate * target.shard) ranks, not \(worldSize)")
            }
            guard Self.hasCheckpointDir(firstPlan) else {
                throw LaunchError("switching meshes needs --checkpoint-dir (the new ranks resume from the checkpoint the old ones write)")
            }
            let plan = try planner(target, worldSize)
            if let pending { throw LaunchError("a switch to \(pending.record.to.text) is under way") }
            guard currentState == .running(.running) else { throw LaunchError("the job is not training now: cannot switch") }
            let now = Date().timeIntervalSince1970
            guard receiver.send(.reconfigure(mesh: target)) else {
                throw LaunchError("rank 0 is not connected (the job is starting or ending): cannot switch now")
            }
            let record = Switch(from: mesh, to: target, isRetry: false, requested: now,
                                phases: [PhaseStart(phase: .checkpointing, time: now)])
            pending = (record, plan)
            currentState = .running(.checkpointing)
            return record
        }
        say("switching to mesh \(target.text) on \(worldSize) rank(s): checkpointing at the end of the step")
        onPhase?(started)
        startStandby()
    }

    /// Starts the pending switch's mpirun now: its ranks pass mpirun's start and MPI_Init (mostly
    /// waiting) while the old ones finish the step and checkpoint, then wait for `start`
    /// (Supervisor+Gate). If it cannot start here, the relaunch starts it as it would anyway.
    private func startStandby() {
        guard let plan = lock.withLock({ pending?.plan }) else { return }
        let supervisor = Supervisor(plan: plan.waitingForStart(), receiver: receiver, heartbeats: heartbeats, options: generationOptions)
        supervisor.say = say
        do { try supervisor.startGated(environment: environment) } catch { return }
        let kept = lock.withLock { () -> Bool in
            guard pending?.record.phase == .checkpointing, standby == nil else { return false }
            standby = supervisor
            pending?.record.startedAhead = true
            return true
        }
        if !kept { supervisor.abandon() }
    }

    /// After a failed switch: starts again on the mesh the job ran on before it, resuming from
    /// the newest checkpoint; then runs as `run()` does.
    public func retryOnPreviousMesh() throws -> Int32 {
        let (plan, record): (LaunchPlan, Switch) = try lock.withLock {
            guard case .switchFailed = currentState, let failed = done.last else {
                throw LaunchError("nothing to retry: no switch has failed")
            }
            let old = failed.isRetry ? failed.to : failed.from
            let plan = try planner(old, old.replicate * old.shard)
            let now = Date().timeIntervalSince1970
            let record = Switch(from: failed.to, to: old, isRetry: true, requested: now,
                                phases: [PhaseStart(phase: .relaunching, time: now)])
            pending = (record, plan)
            mesh = old
            currentState = .running(.relaunching)
            return (plan, record)
        }
        say("retrying on mesh \(record.to.text) with --resume")
        onPhase?(record)
        return try runGenerations(plan)
    }

    // MARK: - generations

    /// What follows a generation.
    private enum Next {
        /// The next generation: its plan, and its mpirun when it was started ahead.
        case relaunch(LaunchPlan, Switch, Supervisor?)
        case finish(Int32, note: String?)
        case fail(Int32, String)
    }

    private func runGenerations(_ first: LaunchPlan) throws -> Int32 {
        var plan = first
        var started: Supervisor?
        while true {
            let supervisor = started ?? Supervisor(plan: plan, receiver: receiver, heartbeats: heartbeats, options: generationOptions)
            started = nil
            supervisor.say = say
            supervisor.onHang = onHang
            var ending: Done?
            var lastError: String?
            supervisor.sink = { [self] record in
                if case .done(let d) = record.event { ending = d }
                if case .error(let notice) = record.event { lastError = notice.message }
                observe(record)
                onEvent?(record)
                observeRecovery(record)
            }
            let status: Int32
            do { status = try supervisor.run(environment: environment) } catch {
                // mpirun itself could not be started: on a relaunch that is a failed switch.
                abandonStandby()
                guard lock.withLock({ pending != nil }) else { throw error }
                fail("the relaunch could not start \(plan.mpirun): \(error); " + checkpointNote())
                return 1
            }
            let after = next(status: status, ending: ending, stopped: supervisor.stopRequested)
            if case .finish(let status, _) = after, let decision = recover(status: status, supervisor: supervisor, plan: plan) {
                guard case .relaunch(let nextPlan) = decision else {
                    if case .giveUp(let line) = decision { say(line) }
                    return status
                }
                plan = nextPlan
                continue
            }
            if case .relaunch = after {} else { abandonStandby() }
            switch after {
            case .relaunch(let nextPlan, let record, let ahead):
                say("mesh \(record.to.text): relaunching with --resume")
                onPhase?(record)
                plan = nextPlan
                started = ahead
            case .finish(let status, let note):
                if let note { say(note) }
                return status
            case .fail(let status, let why):
                let stderr = supervisor.lastErrorLines.suffix(3)
                var message = why + (lastError.map { "; rank 0: \($0)" } ?? "")
                if !stderr.isEmpty { message += "; mpirun's last stderr: " + stderr.joined(separator: " | ") }
                fail(message + "; " + checkpointNote())
                return status == 0 ? 1 : status
            }
        }
    }

    /// The supervisors' options with their line handler serialised: a switch's next mpirun starts
    /// while the old one still prints, and `OutputMode.lines` promises one call at a time.
    private var generationOptions: Supervisor.Options {
        var serialised = options
        if case .lines(let handler) = options.output {
            let lock = outputLock
            serialised.output = .lines { line, isError in lock.withLock { handler(line, isError) } }
        }
        return serialised
    }

    /// Ends a generation started ahead for a switch that will not happen.
    private func abandonStandby() {
        lock.withLock { () -> Supervisor? in
            defer { standby = nil }
            return standby
        }?.abandon()
    }

    /// Under the lock: moves a switch on after a generation ended with `status`.
    private func next(status: Int32, ending: Done?, stopped: Bool) -> Next {
        lock.withLock {
            guard var current = pending else {
                currentState = .finished(status)
                return .finish(status, note: nil)
            }
            let how = ending.map { "\($0.reason), status \(status)" } ?? "status \(status)"
            switch current.record.phase {
            case .checkpointing:
                if status == ExitStatus.reconfigure.rawValue && ending?.reason == .reconfigure && !stopped {
                    current.record.phases.append(PhaseStart(phase: .relaunching, time: Date().timeIntervalSince1970))
                    pending = current
                    mesh = current.record.to
                    currentState = .running(.relaunching)
                    defer { standby = nil }
                    return .relaunch(current.plan, current.record, standby)
                }
                if status == 0 || stopped {
                    // Completed or stopped before rank 0 took the request: nothing to switch.
                    pending = nil
                    currentState = .finished(status)
                    return .finish(status, note: "the run ended (\(how)) before the switch to \(current.record.to.text)")
                }
                return .fail(status, "the switch to mesh \(current.record.to.text) failed while checkpointing (the ranks ended: \(how))")
            case .relaunching, .resharding:
                if stopped {
                    pending = nil
                    currentState = .finished(status)
                    return .finish(status, note: "stopped before the first step on mesh \(current.record.to.text)")
                }
                let what = current.record.isRetry ? "the retry" : "the relaunch"
                return .fail(status, "\(what) on mesh \(current.record.to.text) failed before its first step (mpirun: \(how))")
            case .running:
                pending = nil
                currentState = .finished(status)
                return .finish(status, note: nil)
            }
        }
    }
}

