import CStdio
import Diagnosis
import RunSpec
import Foundation
import Telemetry

/// Starts a job's mpirun, follows rank 0's telemetry, and ends the job:
/// - every received event goes to `sink` (the `--metrics-file`), in order;
/// - SIGINT/SIGTERM send `stop` to rank 0 and give the ranks `stopGrace` seconds, then kill
///   them; a second signal kills at once;
/// - a rank of this host that disappears before the run's `done` is reported (which rank, host,
///   pid) and the job is torn down;
/// - the result is the job's exit status (non-zero whenever the job did not end well).
public final class Supervisor {
    public struct Options {
        public var stopGrace: Double = 10
        /// How often processes are checked and events drained.
        public var tick: Double = 0.05
        /// How often the ranks are checked for having died (this host's through /proc, the
        /// others' through their heartbeats).
        public var livenessInterval: Double = 0.5
        /// When heartbeats say ranks of other hosts are lost.
        public var liveness = Liveness.Limits()
        /// `--hang-after`: no step for this long is a hang (nil: the larger of 30 s and 5x the median step).
        public var hangAfter: Double?
        /// `--on-hang`: wait for the run to move again, or tear the job down.
        public var onHang = HangPolicy.wait
        /// Where hang reports are written (the run's dump folder); nil: not written.
        public var reportFolder: String?
        /// mpirun's stdout and stderr: ours (the default) or line by line to a callback.
        public var output: OutputMode = .inherit
        public init() {}
    }

    public let plan: LaunchPlan
    public let receiver: TelemetryReceiver?
    /// Every rank's heartbeats, when the ranks were told where to send them.
    public let heartbeats: HeartbeatReceiver?
    public var options: Options
    /// Each received event, in order (the metrics file).
    public var sink: ((TelemetryRecord) -> Void)?
    /// A hang began (its report, refreshed every second while it lasts) or ended (nil).
    public var onHang: ((HangReport?) -> Void)?
    /// The launcher's own lines (stderr by default).
    public var say: (String) -> Void = { fputs("meshtop: \($0)\n", mt_stderr()) }

    public init(plan: LaunchPlan, receiver: TelemetryReceiver?, heartbeats: HeartbeatReceiver? = nil, options: Options = Options()) {
        self.plan = plan
        self.receiver = receiver
        self.heartbeats = heartbeats
        self.options = options
    }

    var ranks: [RankIdentity] = []
    var done: Done?
    /// The hello's mesh, and whether the run moves (Supervisor+Hang.swift).
    var mesh: MeshShape?
    var hangWatch: HangWatch?
    var lastStep: Int?
    var hangShownAt = 0.0
    var process: Process?
    var capture: OutputCapture?

    /// How the job is being ended (Teardown.swift); each run starts a new one.
    private var teardown = Teardown(Options())
    /// SIGINT or SIGTERM arrived while the job ran (the user wants it to end, not to go on elsewhere).
    public var stopRequested: Bool { teardown.stopRequested }
    /// The ranks that went before the run's done, and when that was found.
    public var lost: Loss? { teardown.lost }
    public var lostAt: Double? { teardown.lostAt }

    /// mpirun's last stderr lines (with `output: .lines` only; empty otherwise), oldest first.
    public var lastErrorLines: [String] { capture?.lastErrorLines ?? [] }

    /// mpirun's stdin while ranks started by `startGated` wait for `start` (Supervisor+Gate.swift).
    var gate: Pipe?

    func launch(environment extra: [String: String], stdin: Any) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = plan.arguments
        var environment = ProcessInfo.processInfo.environment
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardInput = stdin
        if case .lines(let handler) = options.output {
            let capture = OutputCapture(handler: handler)
            process.standardOutput = capture.stdout
            process.standardError = capture.stderr
            self.capture = capture
        }
        try process.run()
        self.process = process
        capture?.start()
    }

    /// Runs the job to its end (starting mpirun unless `startGated` did) and returns its exit
    /// status. mpirun's output goes where `options.output` says.
    public func run(environment extra: [String: String] = [:]) throws -> Int32 {
        let signals = SignalFlags.install([SIGINT, SIGTERM])
        defer { signals.uninstall() }
        if self.process == nil { try launch(environment: extra, stdin: FileHandle.nullDevice) }
        openGate()
        guard let process else { throw LaunchError("mpirun was not started") }
        let pid = process.processIdentifier

        teardown = Teardown(options)
        let hostName = Self.hostName
        while process.isRunning {
            drain()
            let now = Date().timeIntervalSince1970
            perform(teardown.step(.tick(signals: signals.take(), doneStatus: done?.status), now: now), pid: pid, now: now)
            let looks = teardown.looks(now: now, doneStatus: done?.status)
            let seen = Teardown.Seen(doneStatus: done?.status, lost: looks.lost ? lost(hostName, now: now) : nil,
                                     ranksEnded: looks.ranksEnded && allRanksEnded(hostName))
            perform(teardown.step(.looked(seen), now: now), pid: pid, now: now)
            if checkHang(now: now) { perform(teardown.step(.hung, now: now), pid: pid, now: now) }
            // Once rank 0 has said how the run ends, only the exit is left to see: look often, as
            // a mesh switch's next generation waits on it.
            Thread.sleep(forTimeInterval: done == nil ? options.tick : min(options.tick, 0.01))
        }
        process.waitUntilExit()
        // What rank 0 sent last (its done) may still be on the way.
        let end = Date().addingTimeInterval(1)
        while done == nil && receiver?.isSessionLive == true && Date() < end { drain(); Thread.sleep(forTimeInterval: 0.02) }
        drain()
        // Ranks mpirun left behind (it was killed) go too; return once they are gone.
        Self.killJob(pid: pid, ranks: localRanks(hostName), signal: SIGKILL)
        let gone = Date().addingTimeInterval(2)
        while localRanks(hostName).contains(where: Self.alive) && Date() < gone { Thread.sleep(forTimeInterval: 0.01) }
        for rank in ranks where rank.host == hostName && Self.alive(rank.pid) {
            say("rank \(rank.rank) (pid \(rank.pid)) still ran 2 s after it was killed (stuck in the kernel?): it may outlive meshtop")
        }
        waitForRemoteRanks(hostName)
        // Every line is out before the result (a rank on another host may hold the pipe: 2 s at most).
        capture?.wait(timeout: 2)

        let mpirun = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        let outcome = teardown.outcome(mpirun: mpirun, doneStatus: done?.status, heardHello: receiver != nil && !ranks.isEmpty,
                                       stderr: lastErrorLines)
        outcome.lines.forEach(say)
        return outcome.status
    }

    /// Does what the teardown says; the answer to sending `stop` goes back in at once.
    func perform(_ actions: [Teardown.Action], pid: pid_t, now: Double) {
        for action in actions {
            switch action {
            case .say(let line): say(line)
            case .sendStop: perform(teardown.step(.stopSent(receiver?.send(.stop) == true), now: now), pid: pid, now: now)
            case .signalJob(let signal): Self.killJob(pid: pid, ranks: localRanks(Self.hostName), signal: signal)
            case .killMpirun: Self.killJob(pid: pid, ranks: [], signal: SIGKILL)
            case .killRanks(let spared): for rank in localRanks(Self.hostName) where !spared.contains(rank) { kill(rank, SIGKILL) }
            }
        }
    }

    /// Takes what the receiver has; remembers the ranks (hello) and the end (done).
    /// Telemetry connections refused during the job.
    private var refusedConnections = 0

    private func drain() {
        guard let receiver else { return }
        for item in receiver.drain() {
            if case .connectionRefused(let reason) = item {
                // Someone without the token (or a second rank 0): the run goes on; say the first few.
                refusedConnections += 1
                if refusedConnections <= 5 { say("refused a telemetry connection (\(reason)); the run goes on") }
                continue
            }
            guard case .record(let record) = item else { continue }
            watchProgress(record)
            switch record.event {
            case .hello(let hello): ranks = hello.ranks
            case .done(let d): done = d
            case .error(let notice): say("rank \(notice.rank ?? 0): \(notice.message)")
            default: break
            }
            sink?(record)
        }
    }

    /// The ranks of other hosts end with mpirun's daemons there; their heartbeat connections say
    /// when (a process's sockets close as it ends). Waits up to 3 s, then names any still open.
    private func waitForRemoteRanks(_ host: String) {
        guard let heartbeats, ranks.contains(where: { $0.host != host }) else { return }
        let remote = ranks.filter { $0.host != host }
        func open() -> [RankIdentity] {
            let mine = Liveness.pulses(of: remote, in: heartbeats.pulses)
            return remote.filter { mine[$0.rank].map { $0.closedAt == nil } ?? false }
        }
        let deadline = Date().addingTimeInterval(3)
        while !open().isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        for rank in open() {
            say("rank \(rank.rank) (host \(rank.host), pid \(rank.pid)) still had its heartbeat connection open 3 s after mpirun ended: it may still run there")
        }
    }

    /// Every rank is on this host and none runs any more.
    private func allRanksEnded(_ host: String) -> Bool {
        !ranks.isEmpty && ranks.allSatisfy { $0.host == host && !Self.alive($0.pid) }
    }

    private func localRanks(_ host: String) -> [pid_t] { ranks.filter { $0.host == host }.map(\.pid) }

    /// A rank of this host whose process is gone, else what the heartbeats say is lost.
    private func lost(_ host: String, now: Double) -> Loss? {
        if let gone = ranks.first(where: { $0.host == host && !Self.alive($0.pid) }) { return .process(gone) }
        guard let heartbeats, !ranks.isEmpty else { return nil }
        return Liveness.assess(ranks: ranks, board: heartbeats.pulses, thisHost: host, now: now, limits: options.liveness)
    }
}
