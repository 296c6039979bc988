import Dashboard
import Foundation
import Launcher
import Telemetry
import Terminal

/// `meshtop run` on a terminal: the dashboard owns this thread and the terminal; the job runs on
/// another thread and everything it hears (rank 0's events, its own notices, mpirun's output)
/// goes into the dashboard's feed. Keys come back as control commands for rank 0.
extension RunCommand {
    /// Runs `job` under the dashboard and returns its exit status; nil when there is no terminal
    /// to draw on (the caller then runs headless).
    func runWithDashboard(_ job: Job, receiver: TelemetryReceiver,
                          record: @escaping (TelemetryRecord) -> Void) throws -> Int32? {
        // From here on SIGINT/SIGTERM are events (the launcher counts them), never a death that
        // would leave the terminal in curses mode.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let interrupted = InterruptWatch()
        guard let (app, warnings) = dashboard.makeApp(live: true, runName: runName) else { return nil }
        let feed = app.feed
        for warning in warnings { feed.push(.launcher(warning)) }
        job.say = { feed.push(.launcher($0)) }
        // Rank 0's log lines arrive twice (on mpirun's stdout and as events): show each once.
        let echoes = EchoFilter()
        job.onEvent = { event in
            record(event)
            if case .log(let line) = event.event, !echoes.admit(line.message, fromEvents: true) { return }
            feed.push(.record(event))
        }
        job.onPhase = { change in feed.push(.phase(RunPhase(change.phase))) }
        job.options.output = .lines { line, isStderr in
            if isStderr || echoes.admit(line, fromEvents: false) { feed.push(.output(line, isError: isStderr)) }
        }
        app.onCommand = { command in
            guard case .control(let control) = command else { return }
            if !receiver.send(control) { feed.push(.launcher("rank 0 is not connected: \(control.name) was not sent")) }
        }

        // Ctrl-C or SIGTERM: the job stops (the launcher's own handling); then the dashboard goes too.
        let outcome = JobOutcome()
        let worker = Thread {
            let status: Int32
            do { status = try job.run() } catch {
                feed.push(.launcher("\(error)"))
                status = 1
            }
            outcome.set(status)
            feed.push(.ended(status: status))
            if interrupted.happened { feed.requestExit() }
        }
        worker.start()
        app.run()

        // Quitting while the job still runs (a second q, or q before it answered): end it as a
        // Ctrl-C would: ask rank 0 to stop, kill after the grace period (a second signal at once).
        if outcome.status == nil {
            fputs("meshtop: stopping the job\n", stderr)
            kill(getpid(), SIGINT)
        }
        let status = outcome.wait()
        print(Self.summary(app.state, status: status))
        return status
    }

    /// The name the header shows: the job's description, else the model and the data.
    var runName: String? { nil }

    /// What stays on the terminal after the dashboard is gone.
    static func summary(_ state: DashboardState, status: Int32) -> String {
        var parts = ["meshtop: \(state.done?.reason ?? (status == 0 ? "ended" : "failed")) with status \(status)"]
        if let step = state.lastStep {
            parts.append("step \(step)" + (state.totalSteps.map { "/\($0)" } ?? ""))
        }
        if let loss = state.loss.lastValue { parts.append(String(format: "loss %.5f", loss)) }
        if let mesh = state.mesh { parts.append("mesh [\(mesh.replicate), \(mesh.shard)]") }
        return parts.joined(separator: ", ")
    }
}

extension RunPhase {
    init(_ phase: Job.Phase) {
        switch phase {
        case .checkpointing: self = .checkpointing
        case .relaunching: self = .relaunching
        case .resharding: self = .resharding
        case .running: self = .running
        }
    }
}

/// The job thread's exit status, once it is known.
final class JobOutcome: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Int32?

    var status: Int32? { condition.lock(); defer { condition.unlock() }; return value }

    func set(_ status: Int32) {
        condition.lock(); value = status; condition.broadcast(); condition.unlock()
    }

    func wait() -> Int32 {
        condition.lock(); defer { condition.unlock() }
        while value == nil { condition.wait() }
        return value!
    }
}

/// Whether SIGINT or SIGTERM arrived (the launcher acts on them; the dashboard only needs to know).
final class InterruptWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var seen = false
    private var sources: [DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.lock.withLock { self?.seen = true } }
            source.resume()
            sources.append(source)
        }
    }

    var happened: Bool { lock.withLock { seen } }
}

/// Pairs up the lines two sources both deliver (rank 0's log lines: printed, and sent as events)
/// so each is shown once, whichever comes first.
final class EchoFilter: @unchecked Sendable {
    private let lock = NSLock()
    private var unmatched: [Bool: [String]] = [true: [], false: []]
    private let limit = 256

    /// Whether to show `line` from this source: not when the other source already delivered it.
    func admit(_ line: String, fromEvents: Bool) -> Bool {
        let text = line.trimmingCharacters(in: .whitespaces)
        return lock.withLock {
            if let index = unmatched[!fromEvents]!.firstIndex(of: text) {
                unmatched[!fromEvents]!.remove(at: index)
                return false
            }
            unmatched[fromEvents]!.append(text)
            if unmatched[fromEvents]!.count > limit { unmatched[fromEvents]!.removeFirst() }
            return true
        }
    }
}
