import ArgumentParser
import CLISupport
import CStdio
import Dashboard
import Diagnosis
import Foundation
import Launcher
import RunOptions
import RunSources
import RunSpec
import Synchronization
import Telemetry
import Topology

/// `meshtop run` (the default): launches the ranks under mpirun, follows rank 0's telemetry,
/// and exits with the job's status.
public struct RunCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Launch a training job under mpirun and follow it (the default command).",
        discussion: """
            Starts one meshtop-rank per rank under mpirun (oversubscribed when the ranks exceed \
            the cores, one OPENBLAS_NUM_THREADS=--threads per rank, --allow-run-as-root as root) \
            and receives rank 0's telemetry stream (docs/telemetry.md). With no options: the \
            debugmodel on the shipped tinyshakespeare, one rank per core on (N, 1).

            On a terminal, the run is shown in the dashboard (docs/dashboard.md; `?` lists the \
            keys; q asks before stopping a live run; m switches a live run to another mesh, \
            which needs --checkpoint-dir: docs/reconfiguration.md). With --no-tui, or when stdout is not a \
            terminal (then said once), it runs headless: torchtitan's log lines, and on a \
            terminal a progress line (step N/total, a bar, loss, tok/s, elapsed, ETA) below them. \
            Either way --metrics-file records every received event as JSON lines (what `meshtop \
            replay` reads).

            Ctrl-C (SIGINT) or SIGTERM asks rank 0 to stop at the end of the step (checkpointing \
            first when --checkpoint-dir is set) and kills the job after 10 s; a second one kills \
            at once. A rank that dies is reported and the job torn down, then relaunched with \
            --on-failure restart or shrink (docs/recovery.md). Exit status: the job's \
            (0 when it completed or was stopped; 2 for options refused before launching; 3 when \
            the run stopped to be restarted on another mesh).
            """)

    @Option(help: ArgumentHelp(
        "The device mesh [dp_replicate, dp_shard] as RxS or R,S (R x S ranks).",
        discussion: "Default: (N, 1) for N = --np ranks.", valueName: "RxS"), transform: MeshShape.parse)
    public var mesh: MeshShape?

    @Option(help: ArgumentHelp(
        "A run in torchtitan's TOML shape ([job], [model], [optimizer], [lr_scheduler], [training], [parallelism], [checkpoint], [metrics]); options given here override it.",
        discussion: "See examples/debug_model.toml. Unknown keys are warned about; a value of the wrong type is refused.",
        valueName: "file.toml"))
    public var config: String?

    @Option(name: .customLong("np"), parsing: .unconditional, help: "Ranks to start. Default: R x S of --mesh, else one per core.")
    public var np: Int?

    @Option(name: .customLong("max-np"), parsing: .unconditional, help: ArgumentHelp(
        "The most ranks the dashboard's mesh picker offers when changing the world size (< and >).",
        discussion: "Default: twice the cores of this machine."))
    public var maxNP: Int = DashboardApp.defaultMaxWorldSize

    @Option(help: ArgumentHelp(
        "A hostfile for mpirun (ranks on several hosts: `host slots=N` lines).",
        discussion: "Default mesh: one rank per slot, each replica's shards on one host when the hosts have equal slots. Inside a Slurm allocation (salloc, sbatch) without one, the allocation's nodes and tasks per node.",
        valueName: "file"))
    public var hostfile: String?

    @Option(help: ArgumentHelp(
        "A topology file (`meshtop probe`): the mesh picker (m) then predicts each mesh's step time and tokens/s.",
        discussion: "Probe the hosts this run uses; see docs/planner.md.", valueName: "file"))
    public var topology: String?

    @Option(name: .customLong("telemetry-bind"), help: ArgumentHelp(
        "The address rank 0's telemetry connects to (the listener binds it).",
        discussion: "Default: loopback when every rank runs here, else this machine's address on the route to the hosts.",
        valueName: "addr"))
    public var telemetryBind: String?

    @Flag(name: .customLong("dry-run"), help: "Print the mpirun command and exit.")
    public var dryRun = false

    @Flag(name: .customLong("print-config"), help: ArgumentHelp(
        "Print the run as a --config file (torchtitan's TOML shape) and exit.",
        discussion: "Options torchtitan has no key for are named on stderr: give them on the command line."))
    public var printConfig = false

    @Flag(name: .customLong("no-tui"), help: "Headless: print the log lines instead of showing the dashboard.")
    public var noTUI = false

    @Option(name: .customLong("metrics-file"), help: ArgumentHelp(
        "Write every telemetry event received (hello, steps, checkpoints, logs, done) here as JSON lines.",
        valueName: "file"))
    public var metricsFile: String?

    @Option(help: ArgumentHelp(
        "Write TensorBoard event files here as torchtitan does: the run's figures and rank 0's at the top, each rank's in rank_N/.",
        discussion: "Every step, under torchtitan's tags (loss_metrics/global_avg_loss, grad_norm, lr, throughput(tps), mfu(%), memory/..., ...); the folder is made if need be. Open it with `tensorboard --logdir DIR`; see docs/tensorboard.md.",
        valueName: "dir"))
    public var tensorboard: String?

    @OptionGroup(title: "Dashboard") public var dashboard: DashboardOptions
    @OptionGroup(title: "Hangs") public var diagnosis: DiagnosisOptions
    @OptionGroup(title: "Compare") public var comparing: ReferenceOptions
    @OptionGroup(title: "Model") public var model: ModelOptions
    @OptionGroup(title: "Training") public var training: TrainingOptions
    @OptionGroup(title: "Checkpoints") public var checkpoints: CheckpointOptions
    @OptionGroup(title: "Failures") public var failures: RecoveryOptions

    public init() {}

    /// The values and combinations of the options (the mesh against --np, every value in range,
    /// one resume option at most): refused before anything is read or started.
    public func validate() throws {
        guard maxNP >= 1 else { throw ValidationError("--max-np \(maxNP): must be at least 1") }
        try failures.check(checkpointDir: checkpoints.checkpointDir)
        _ = try CommandMain.validating { try specification() }
    }

    /// The run these options describe on `hosts` (no file opened but the hostfile).
    public func specification(cores: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> RunSpecification {
        try specification(cores: cores, hosts: hosts())
    }

    func specification(cores: Int, hosts: Hostfile?) throws -> RunSpecification {
        try RunOptions.specification(model: model, training: training, checkpoints: checkpoints,
                                     mesh: MeshChoice.resolve(np: np, mesh: mesh, cores: cores, hostfile: hosts))
    }

    /// Where the ranks run: the hostfile's hosts, else the Slurm allocation's, else here (nil).
    func hosts() throws -> Hostfile? {
        try hostfile.map(Hostfile.init(path:)) ?? SlurmAllocation.hosts()
    }

    /// What mpirun passes on to the ranks (`-x`, names only: the token stays off the command line).
    public static let exportedVariables = [TelemetryEnvironment.addressVariable, TelemetryEnvironment.tokenVariable,
                                           HeartbeatEnvironment.addressVariable]

    /// The job's mpirun command for these options, after checking the files they name.
    public func plan(exportedVariables: [String] = Self.exportedVariables,
                     cores: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> LaunchPlan {
        try plan(exportedVariables: exportedVariables, cores: cores, hosts: hosts())
    }

    /// The same on hosts already read (the hostfile is checked where it is read, `Hostfile(path:)`).
    func plan(exportedVariables: [String] = Self.exportedVariables,
              cores: Int = ProcessInfo.processInfo.activeProcessorCount, hosts: Hostfile?) throws -> LaunchPlan {
        let spec = try specification(cores: cores, hosts: hosts)
        try RunOptions.checkFiles(spec)
        if let metricsFile { try InputFile.requireWritable(metricsFile, "--metrics-file \(metricsFile)") }
        if let tensorboard { try TensorBoardRecorder.check(tensorboard, "--tensorboard \(tensorboard)") }
        try RunInputs.check(spec)
        return LaunchPlan(spec: spec, rankExecutable: Self.rankExecutable, hostfile: hostfile, cores: cores,
                          exportedVariables: exportedVariables)
    }

    public func run() throws {
        // `meshtop` expands --config before parsing (MeshtopCommand.main); here only when the
        // command was parsed some other way.
        if let config { throw InputError("--config \(config) is read by `meshtop` itself, before parsing") }
        // Read once: in a Slurm allocation each read asks scontrol.
        let hosts = try InputError.refusing { try self.hosts() }
        let plan = try InputError.refusing { try self.plan(hosts: hosts) }
        let reference = try comparing.reference()
        let timing = try topology.map { file in
            PickerTiming(topology: try TopologyFile.read(file, option: "--topology \(file)"), slots: hosts?.hosts.map(\.slots) ?? [],
                         policy: PickerTiming.policy(environment: ProcessInfo.processInfo.environment))
        }
        if dryRun {
            print(plan.commandLine)
            return
        }
        if printConfig {
            let config = ConfigFile.toml(for: plan.spec)
            print(config.text, terminator: "")
            if !config.unwritten.isEmpty {
                fputs("meshtop: no TOML key for \(config.unwritten.joined(separator: " ")): give them on the command line\n", mt_stderr())
            }
            return
        }
        let dashboardWanted = !noTUI && isatty(STDOUT_FILENO) == 1
        if !noTUI && !dashboardWanted {
            fputs("meshtop: stdout is not a terminal: running headless (--no-tui)\n", mt_stderr())
        }
        // Ranks on other hosts must reach the receiver; nothing else should.
        let bind = try InputError.refusing { try telemetryBind ?? TelemetryBinding.address(for: hosts) }
        let receiver = try TelemetryReceiver(host: bind)
        defer { receiver.close() }
        let heartbeats = try HeartbeatReceiver(host: bind, token: receiver.token)
        defer { heartbeats.close() }
        let file = try metricsFile.map(TelemetryFileWriter.init(path:))
        defer { try? file?.close() }
        // Headless: on a terminal, mpirun's lines come through the printer, under a progress
        // line; otherwise mpirun writes straight to our stdout and stderr.
        let printer = HeadlessPrinter(isTerminal: isatty(STDOUT_FILENO) == 1, columns: HeadlessPrinter.terminalColumns)
        defer { printer.finish() }
        var options = Supervisor.Options()
        if printer.isTerminal { options.output = .lines { printer.line($0, isStderr: $1) } }
        diagnosis.apply(to: &options, reportFolder: plan.spec.dumpFolder)
        // One generation per mesh; a switch (Job.reconfigure) relaunches keeping the global batch.
        let job = Job(plan: plan, mesh: plan.spec.mesh, receiver: receiver,
                      options: options, planner: relaunchPlanner(plan))
        job.heartbeats = heartbeats
        job.recovery = failures.recovery
        let board = tensorboard.map { TensorBoardRecorder(folder: $0) { fputs("meshtop: --tensorboard: \($0)\n", mt_stderr()) } }
        defer { board?.close() }
        var writeFailed = false
        let record: (TelemetryRecord) -> Void = { record in
            let recorded = InterHostTraffic.recorded(record)
            board?.record(recorded)
            do { try file?.write(recorded) } catch {
                if !writeFailed { fputs("meshtop: --metrics-file: \(error)\n", mt_stderr()) }
                writeFailed = true
            }
        }
        fflush(mt_stdout())
        if dashboardWanted, let status = try runWithDashboard(job, receiver: receiver, record: record, timing: timing,
                                                                          reference: reference) {
            if status != 0 { throw ExitCode(status) }
            return
        }
        job.say = printer.say
        let stragglers = Mutex(StragglerWatch())
        let watch = reference.map(ReferenceWatch.init)
        job.onEvent = { event in
            record(event)
            printer.event(event)
            if case .hello(let hello) = event.event {
                let placement = HostPlacement(hello.ranks)
                if placement.isMultiHost {
                    let traffic = InterHostTraffic.perStep(hello).map { "; " + InterHostTraffic.text($0) } ?? ""
                    printer.say(placement.line(replicate: hello.mesh.replicate, shard: hello.mesh.shard) + traffic)
                }
                if let mesh = try? MeshShape(replicate: hello.mesh.replicate, shard: hello.mesh.shard) {
                    stragglers.withLock { $0.hello(mesh) }
                }
            }
            if case .step(let step) = event.event, let line = stragglers.withLock({ $0.step(step) }) { printer.say(line) }
            if let line = watch?.line(after: event) { printer.say(line) }
        }
        let status = try job.run()
        if status != 0 { throw ExitCode(status) }
    }

    /// The plan of a relaunch on another mesh: the same options, `--resume`, and the global
    /// batch of `plan` split over the new ranks (refused when it cannot be).
    func relaunchPlanner(_ plan: LaunchPlan) -> Job.Planner {
        let spec = plan.spec
        let batch = GlobalBatch(localBatchSize: spec.localBatchSize, gradAccum: spec.gradAccum, ranks: plan.ranks)
        return { mesh, _ in try plan.relaunched(on: mesh, keeping: batch, localBatchSize: spec.localBatchSize) }
    }

    /// meshtop-rank, next to this executable.
    static var rankExecutable: String {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appendingPathComponent("meshtop-rank").path
    }
}
