import ArgumentParser
import Checkpoint
import CLISupport
import Collectives
import CStdio
import Dataset
import Foundation
import Mesh
import Model
import RunOptions
import RunSpec
import Telemetry
import Trainer

/// `meshtop-rank`: what mpirun starts on every rank.
public struct RankCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "meshtop-rank",
        abstract: "One rank of a meshtop training job: trains the llama3 debugmodel on the CPU.",
        discussion: """
            mpirun starts one meshtop-rank per rank (usually through `meshtop run`). The ranks \
            form the 2-D data-parallel mesh [dp_replicate, dp_shard]; rank r * S + s sits at \
            replica r, shard s. Rank 0 prints torchtitan's start-up lines and one line per step.
            """)

    @Option(help: ArgumentHelp(
        "The device mesh [dp_replicate, dp_shard] as RxS or R,S; R x S must equal the number of ranks.",
        discussion: "(N,1) is replicate, (1,N) FSDP, (R,S) HSDP. Default: (N,1) for N ranks.",
        valueName: "RxS"), transform: MeshShape.parse)
    public var mesh: MeshShape?

    @Option(name: .customLong("metrics-file"), help: "Rank 0 writes every step's figures here as JSON lines.")
    public var metricsFile: String?

    @Flag(name: .customLong("wait-for-start"), help: ArgumentHelp(
        "After MPI_Init, wait until rank 0 reads the line `start` on its stdin (mpirun passes its own stdin to rank 0).",
        discussion: "meshtop uses it to start a mesh switch's new ranks while the old ones checkpoint; stdin closing without `start` ends the ranks quietly."))
    public var waitForStart = false

    @OptionGroup(title: "Model") public var model: ModelOptions
    @OptionGroup(title: "Training") public var training: TrainingOptions
    @OptionGroup(title: "Checkpoints") public var checkpoints: CheckpointOptions

    public init() {}

    /// The mesh against the ranks mpirun started, and every value and combination of the
    /// options: all before MPI_Init, so a refusal ends every rank quietly with the same status
    /// and only rank 0 says why (CommandMain).
    public func validate() throws {
        _ = try CommandMain.validating { try specification() }
    }

    /// The run these options describe, on the mesh (N, 1) for N ranks unless --mesh says.
    public func specification() throws -> RunSpecification {
        let launch = LaunchEnvironment.current
        do {
            let shape = try mesh ?? MeshShape(replicate: launch.worldSize, shard: 1)
            try shape.validate(worldSize: launch.worldSize)
            return try RunOptions.specification(model: model, training: training, checkpoints: checkpoints, mesh: shape)
        } catch {
            throw InputError(ErrorText.line(error))
        }
    }

    public func run() throws {
        let config = try specification()
        do {
            try RunOptions.checkFiles(config)
            if let metricsFile { try InputFile.requireWritable(metricsFile, "--metrics-file \(metricsFile)") }
        } catch {
            throw InputError(ErrorText.line(error))
        }

        let world = try MPIRuntime.world()
        defer { MPIRuntime.finalize() }
        if waitForStart, try !StartGate.wait(world: world) {
            if world.rank == 0 { printError("meshtop-rank: not started (stdin closed before `start`)") }
            return
        }
        // Every rank beats to the front end, whatever its training loop is blocked in.
        let activity = ActivityBoard()
        let rank = world.rank
        // Cut off from the front end (its host unreachable for 10 s), a rank ends: its peers were
        // torn down, and nothing could end it over a dead link.
        let heartbeat = HeartbeatSender.fromEnvironment(
            hello: HeartbeatHello(rank: rank, worldSize: world.size, pid: getpid(), host: thisHostName),
            lifeline: 10, lifelineLost: { why in
                printError("meshtop-rank: rank \(rank) on \(thisHostName): \(why): ending (the job's lifeline)")
                _exit(ExitStatus.failed.rawValue)
            },
            activity: { activity.snapshot }, report: { if rank == 0 { printError("meshtop-rank: \($0)") } })
        defer { heartbeat?.close() }
        // Rank 0 streams to the front end when `meshtop run` started the job (docs/telemetry.md).
        let telemetry = world.rank == 0 ? TelemetrySender.fromEnvironment(report: { printError("meshtop-rank: \($0)") }) : nil
        let log: (String) -> Void = { line in
            printLine(line)
            telemetry?.send(.log(LogLine(message: line)))
        }
        var session = RunSession()
        do {
            let deviceMesh = try DeviceMesh(shape: config.mesh, world: world, activity: activity)
            let trainer = try Trainer(config: config, mesh: deviceMesh, log: log)
            let identities = try gatherIdentities(trainer)
            telemetry?.send(.hello(Hello(trainer: trainer, arguments: Array(CommandLine.arguments.dropFirst()),
                                         ranks: identities)))
            trainer.onCheckpoint = { result in
                telemetry?.send(.checkpoint(Telemetry.Checkpoint(step: trainer.completedSteps, path: result.url.path,
                                                                 bytes: result.bytes, seconds: result.seconds)))
            }
            let metrics = try world.rank == 0 ? metricsFile.map(JSONLinesWriter.init(path:)) : nil
            let control = StepControl(telemetry: telemetry, trainer: trainer, log: log)
            do {
                try trainer.run { report in
                    session.record(report)
                    try metrics?.write(event: "step", report)
                    telemetry?.send(.step(Telemetry.Step(report)))
                    try control.atStepBoundary(step: report.step)
                }
            } catch let ending as RunEnding {
                session.ending = ending
            }
            try world.barrier()
            let status = session.ending?.status ?? 0
            telemetry?.send(.done(Done(status: status, reason: session.ending?.reason ?? .completed,
                                       summary: session.summary(trainer))))
            telemetry?.close(flushTimeout: 2)
            if status != 0 { throw ExitCode(status) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            if world.rank == 0 {
                printError("meshtop-rank: \(ErrorText.line(error))")
                var step: Int?
                if case let TrainingError.nonFiniteLoss(s, _) = error { step = s }
                telemetry?.send(.error(Notice(message: ErrorText.line(error), rank: 0, step: step)))
                telemetry?.send(.done(Done(status: ExitStatus.failed.rawValue, reason: .failed, summary: session.summary(nil))))
                telemetry?.close(flushTimeout: 2)
            } else { usleep(500_000) }
            throw CommandMain.exitCode(.failed)
        }
    }

    /// The exit status of a run that stops so the launcher can restart it on another mesh.
    public static let reconfigureExitStatus = ExitStatus.reconfigure.rawValue
}

/// What mpirun tells a rank through its environment before MPI_Init.
public struct LaunchEnvironment: Sendable {
    public var rank: Int
    public var worldSize: Int

    public static var current: LaunchEnvironment {
        LaunchEnvironment(rank: integer("OMPI_COMM_WORLD_RANK") ?? 0,
                          worldSize: integer("OMPI_COMM_WORLD_SIZE") ?? 1)
    }

    private static func integer(_ name: String) -> Int? {
        getenv(name).flatMap { Int(String(cString: $0)) }
    }
}

func printError(_ line: String) {
    fputs(line + "\n", mt_stderr())
}

/// stdout is a pipe under mpirun: flush every line so logs arrive as they happen.
func printLine(_ line: String) {
    print(line)
    fflush(mt_stdout())
}
