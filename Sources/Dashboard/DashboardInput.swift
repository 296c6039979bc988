import Diagnosis
import Telemetry

/// Where a run is, as the header shows it. The front end reports what only it knows
/// (`.phase`); events of the stream move it too (a hello starts the run, `done` ends it).
public enum RunPhase: String, CaseIterable, Sendable {
    case starting, running, paused, checkpointing, relaunching, resharding, finished, failed

    /// Whether the run can still change (a stop, pause or checkpoint still means something).
    public var isLive: Bool { self != .finished && self != .failed }
}

/// Everything the dashboard is told, in the order it happened. Pushed from any thread through
/// `DashboardFeed`; folded into `DashboardState` by `DashboardState.apply`.
public enum DashboardInput: Equatable, Sendable {
    /// An event of rank 0's telemetry stream (live or replayed).
    case record(TelemetryRecord)
    /// A notice of the front end itself (launching, relaunching on another mesh, ...).
    case launcher(String)
    /// A line mpirun printed (`isError`: on its standard error).
    case output(String, isError: Bool)
    /// The front end's view of the run's phase.
    case phase(RunPhase)
    /// A switch to the mesh [replicate, shard] began (the picker's Enter; the app applies it itself).
    case switchRequested(replicate: Int, shard: Int)
    /// The run switched to [replicate, shard]: its first step there came `seconds` after the request.
    case switched(replicate: Int, shard: Int, seconds: Double)
    /// The switch failed (what happened, in one line); the old mesh's checkpoint is intact.
    case switchFailed(String)
    /// The switch was refused before it began (e.g. no checkpoint folder); the run goes on.
    case switchRefused(String)
    /// The job is over with this exit status (0: success); a live dashboard may now quit.
    case ended(status: Int32)
    /// The bytes a step sends between hosts, as the planner predicts them for the hello's placement.
    case interHostBytes(Int)
    /// The run is hung: who waits for whom, from every rank's heartbeat (refreshed while it
    /// lasts); nil when it moves again.
    case hang(HangReport?)
    /// `run --compare REF`: the reference run to overlay and judge the live run against.
    case reference(LiveReference)
}

/// What a key asks of the world outside the dashboard.
public enum DashboardCommand: Equatable, Sendable {
    /// A command for the run (pause, resume, checkpoint, stop), to send to rank 0.
    case control(ControlCommand)
    /// Move the run to the mesh [replicate, shard] (the picker's Enter): checkpoint, relaunch, reshard.
    case reconfigure(replicate: Int, shard: Int)
    /// After a failed switch, go on from the intact checkpoint on the mesh the run had before.
    case retryPreviousMesh
    /// The user quit: `DashboardApp.run()` returns after emitting this.
    case quit
}
