import CStdio
import Dashboard
import Foundation
import RunSpec
import Launcher
import Telemetry
import Terminal

/// `meshtop run` on a terminal: the dashboard owns this thread and the terminal; the job runs on
/// another thread and everything it hears (rank 0's events, its own notices, mpirun's output)
/// goes into the dashboard's feed. Keys come back as control commands for rank 0 and as mesh
/// switches of the job (the picker, docs/reconfiguration.md).
extension RunCommand {
    /// Runs `job` under the dashboard and returns its exit status; nil when there is no terminal
    /// to draw on (the caller then runs headless).
    func runWithDashboard(_ job: Job, receiver: TelemetryReceiver, record: @escaping (TelemetryRecord) -> Void,
                          timing: PickerTiming? = nil, reference: LiveReference? = nil) throws -> Int32? {
        // From here on SIGINT/SIGTERM are events (the launcher counts them), never a death that
        // would leave the terminal in curses mode.
        JobSignals.take()
        let signalsBefore = JobSignals.received
        guard let (app, warnings) = dashboard.makeApp(live: true, runName: runName, maxWorldSize: maxNP) else { return nil }
        let feed = app.feed
        for warning in warnings { feed.push(.launcher(warning)) }
        if let reference { feed.push(.reference(reference)) }
        job.say = { feed.push(.launcher($0)) }
        // Rank 0's log lines arrive twice (on mpirun's stdout and as events): show each once.
        let echoes = EchoFilter()
        job.onEvent = { event in
            record(event)
            if case .log(let line) = event.event, !echoes.admit(line.message, fromEvents: true) { return }
            feed.push(.record(event))
            if case .hello(let hello) = event.event, let bytes = InterHostTraffic.perStep(hello) { feed.push(.interHostBytes(bytes)) }
        }
        job.onPhase = { change in feed.push(Self.input(for: change)) }
        job.onHang = { feed.push(.hang($0)) }
        job.options.output = .lines { line, isStderr in
            if isStderr || echoes.admit(line, fromEvents: false) { feed.push(.output(line, isError: isStderr)) }
        }
        let retry = RetryGate()
        app.planner = PickerPlanner.planner(timing: timing)
        app.onCommand = { command in
            switch command {
            case .control(let control):
                if !receiver.send(control) { feed.push(.launcher("rank 0 is not connected: \(control.name) was not sent")) }
            case .reconfigure(let replicate, let shard):
                do { try job.reconfigure(to: MeshShape(replicate: replicate, shard: shard), worldSize: replicate * shard) } catch {
                    feed.push(.switchRefused("\(error)"))
                }
            case .retryPreviousMesh:
                retry.open()
            case .quit:
                break
            }
        }

        // The job: its generations, then after a failed switch (the dashboard stays, offering R)
        // a retry on the old mesh each time the user asks. Ctrl-C or SIGTERM stops it (the
        // launcher's own handling), and then the dashboard goes too.
        let outcome = JobOutcome()
        let worker = Thread {
            var status = Self.attempt(feed) { try job.run() }
            while case .switchFailed = job.state, retry.wait() {
                status = Self.attempt(feed) { try job.retryOnPreviousMesh() }
            }
            outcome.set(status)
            feed.push(.ended(status: status))
            if JobSignals.received > signalsBefore { feed.requestExit() }
        }
        worker.start()
        app.run()

        // Quitting while the job still runs (a second q, or q before it answered): end it as a
        // Ctrl-C would: ask rank 0 to stop, kill after the grace period (a second signal at once).
        // After a failed switch nothing runs: the job just ends.
        retry.close()
        if outcome.status == nil, case .running = job.state {
            fputs("meshtop: stopping the job\n", mt_stderr())
            kill(getpid(), SIGINT)
        }
        let status = outcome.wait()
        print(Self.summary(app.state, status: status))
        return status
    }

    /// A blocking job call's status; an error it throws is shown and counts as status 1.
    static func attempt(_ feed: DashboardFeed, _ body: () throws -> Int32) -> Int32 {
        do { return try body() } catch {
            feed.push(.launcher("\(error)"))
            return 1
        }
    }

    /// What the header shows of a switch: its phase, how long it took once done, or its failure.
    static func input(for change: Job.Switch) -> DashboardInput {
        if let failure = change.failure { return .switchFailed(failure) }
        if change.phase == .running, let seconds = change.seconds {
            return .switched(replicate: change.to.replicate, shard: change.to.shard, seconds: seconds)
        }
        return .phase(RunPhase(change.phase))
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
        if let reference = state.reference { parts.append(reference.line) }
        return parts.joined(separator: ", ")
    }
}

