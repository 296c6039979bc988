import CStdio
import ArgumentParser
import CLISupport
import Checkpoint
import Collectives
import Dataset
import Foundation
import Mesh
import Model
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
        valueName: "RxS"))
    public var mesh: String?

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

    public func run() throws {
        let launch = LaunchEnvironment.current
        // Validate before MPI_Init: a bad mesh then ends every rank quietly with the same
        // status, and only rank 0 says why.
        let shape: MeshShape
        let config: TrainingConfig
        do {
            shape = try mesh.map(MeshShape.parse) ?? MeshShape(replicate: launch.worldSize, shard: 1)
            try shape.validate(worldSize: launch.worldSize)
            var resolved = try training.resolve(model: model.resolve())
            try checkpoints.apply(to: &resolved)
            config = resolved
            try config.validate()
            if let metricsFile { try InputFile.requireWritable(metricsFile, "--metrics-file \(metricsFile)") }
        } catch {
            // CommandMain says it on rank 0 only and ends every rank with the same status.
            throw InputError(ErrorText.line(error))
        }

        let world = try MPIRuntime.world()
        defer { MPIRuntime.finalize() }
        if waitForStart, try !StartGate.wait(world: world) {
            if world.rank == 0 { printError("meshtop-rank: not started (stdin closed before `start`)") }
            return
        }
        // Rank 0 streams to the front end when `meshtop run` started the job (docs/telemetry.md).
        let telemetry = world.rank == 0 ? TelemetrySender.fromEnvironment(report: { printError("meshtop-rank: \($0)") }) : nil
        let log: (String) -> Void = { line in
            printLine(line)
            telemetry?.send(.log(LogLine(message: line)))
        }
        var session = RunSession()
        do {
            let deviceMesh = try DeviceMesh(shape: shape, world: world)
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

/// Overrides of the flavor's architecture.
public struct ModelOptions: ParsableArguments {
    @Option(help: "Model flavor: debugmodel (6,139,136 parameters) or tiny (for tests).")
    public var flavor = "debugmodel"
    @Option(parsing: .unconditional, help: "Model width (overrides the flavor).") public var dim: Int?
    @Option(name: .customLong("n-layers"), parsing: .unconditional, help: "Transformer blocks.") public var nLayers: Int?
    @Option(name: .customLong("n-heads"), parsing: .unconditional, help: "Attention heads.") public var nHeads: Int?
    @Option(name: .customLong("n-kv-heads"), parsing: .unconditional, help: "Key/value heads (grouped-query attention); default n-heads.")
    public var nKVHeads: Int?
    @Option(name: .customLong("vocab-size"), parsing: .unconditional, help: "Vocabulary size of the embedding and output.") public var vocabSize: Int?

    public init() {}

    public func resolve() throws -> (name: String, config: ModelConfig) {
        var config = try ModelConfig.flavor(flavor)
        if let dim { config.dim = dim }
        if let nLayers { config.nLayers = nLayers }
        if let nHeads { config.nHeads = nHeads }
        if let nKVHeads { config.nKVHeads = nKVHeads }
        if let vocabSize { config.vocabSize = vocabSize }
        try config.validate()
        return (flavor, config)
    }
}

/// The run's data, optimisation and output options.
public struct TrainingOptions: ParsableArguments {
    @Option(name: .customLong("seq-len"), parsing: .unconditional, help: "Tokens per sequence.") public var seqLen = 256
    @Option(name: .customLong("local-batch-size"), parsing: .unconditional, help: "Sequences per rank per micro-batch.") public var localBatchSize = 8
    @Option(name: .customLong("grad-accum"), parsing: .unconditional, help: "Micro-batches accumulated per optimizer step.") public var gradAccum = 1
    @Option(parsing: .unconditional, help: "Optimizer steps to train.") public var steps = 10
    @Option(parsing: .unconditional, help: "Seed of the weight initialisation; the same seed gives bit-identical runs.") public var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Peak learning rate of AdamW.") public var lr: Float = 8e-4
    @Option(name: .customLong("warmup-steps"), parsing: .unconditional, help: "Linear warm-up steps of the schedule.") public var warmupSteps = 2
    @Option(name: .customLong("decay-ratio"), parsing: .unconditional, help: "Fraction of the steps that decay linearly to the minimum.")
    public var decayRatio = 0.8
    @Option(name: .customLong("min-lr-factor"), parsing: .unconditional, help: "The final learning rate as a fraction of the peak.")
    public var minLRFactor = 0.0
    @Option(name: .customLong("max-norm"), parsing: .unconditional, help: "Clip the global gradient L2 norm to this.") public var maxNorm = 1.0
    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "AdamW's decoupled weight decay.") public var weightDecay: Float = 0.1
    @Option(help: "Training data: .txt, .jsonl (a \"text\" field per line) or an llm.c .bin token file. Default: the shipped tinyshakespeare.")
    public var data: String?
    @Option(help: "A Hugging Face tokenizer.json (byte-level BPE). Default: the shipped one.") public var tokenizer: String?
    @Option(name: .customLong("dump-folder"), help: "Folder for run outputs and the tokenized-data cache.")
    public var dumpFolder = "outputs"
    @Option(name: .customLong("init-weights"), help: "Start from these weights (.safetensors, torchtitan's names).")
    public var initWeights: String?
    @Option(name: .customLong("save-weights"), help: "Write the final weights here (.safetensors, torchtitan's names).")
    public var saveWeights: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Compute threads per rank.", discussion: """
        The local batch is cut into that many slices (lanes) that run at once, each on its own \
        thread with single-threaded BLAS; with --local-batch-size 1 the threads go to OpenBLAS instead.
        """)) public var threads = 1
    @Option(name: .customLong("log-freq"), parsing: .unconditional, help: "Print the step line of step 1 and every N-th step (torchtitan's log_freq).")
    public var logFreq = 1
    @Option(name: .customLong("bucket-mb"), parsing: .unconditional, help: "Replicate: gradient all-reduce bucket size in MiB.") public var bucketMB = 4.0
    @Flag(name: .customLong("no-reshard-after-forward"),
          help: "FSDP/HSDP: keep every unit's gathered parameters from forward to backward.")
    public var noReshardAfterForward = false
    @Option(name: .customLong("peak-tflops"), parsing: .unconditional, help: ArgumentHelp(
        "Per-rank peak TFLOP/s for MFU; default: one core's best sgemm (measured, cached) x the threads.",
        discussion: "The cache is $HOME/.cache/meshtop/peak-flops.json, or $MESHTOP_CACHE_DIR/peak-flops.json; a 0.2 s probe replaces a cached figure it beats, and a step that beats the peak raises it."))
    public var peakTFLOPS: Double?

    public init() {}

    public func resolve(model: (name: String, config: ModelConfig)) throws -> TrainingConfig {
        var config = TrainingConfig(dataPath: try data ?? ShippedData.path("tinyshakespeare.txt"),
                                    tokenizerPath: try tokenizer ?? ShippedData.path("tokenizer.json"))
        config.flavor = model.name
        config.model = model.config
        config.seqLen = seqLen
        config.localBatchSize = localBatchSize
        config.gradAccum = gradAccum
        config.steps = steps
        config.seed = seed
        config.optimizer.lr = lr
        config.optimizer.weightDecay = weightDecay
        config.warmupSteps = warmupSteps
        config.decayRatio = decayRatio
        config.minLRFactor = minLRFactor
        config.maxNorm = maxNorm
        config.dumpFolder = dumpFolder
        config.initWeights = initWeights
        config.saveWeights = saveWeights
        config.threads = threads
        config.logFreq = logFreq
        config.bucketMB = bucketMB
        config.reshardAfterForward = !noReshardAfterForward
        config.peakTFLOPS = peakTFLOPS
        try checkPaths(config)
        return config
    }

    /// The files and folders the options name, checked before anything starts.
    func checkPaths(_ config: TrainingConfig) throws {
        try InputFile.requireReadable(config.dataPath, "--data \(config.dataPath)")
        do { _ = try TokenSource.kind(of: config.dataPath) } catch {
            throw InputError("--data \(config.dataPath): not a .txt, .jsonl or .bin file (the extension says which)")
        }
        try InputFile.requireReadable(config.tokenizerPath, "--tokenizer \(config.tokenizerPath)")
        if let initWeights { try InputFile.requireReadable(initWeights, "--init-weights \(initWeights)") }
        if let saveWeights { try InputFile.requireWritable(saveWeights, "--save-weights \(saveWeights)") }
        try InputFile.requireFolderOrAbsent(dumpFolder, "--dump-folder \(dumpFolder)")
    }
}

/// Writing checkpoints and resuming from them (docs/checkpoints.md).
public struct CheckpointOptions: ParsableArguments {
    @Option(name: .customLong("checkpoint-dir"), help: ArgumentHelp(
        "Folder of checkpoints (step-000010/, ...): written by --checkpoint-every, read by --resume*.",
        valueName: "dir"))
    public var checkpointDir: String?
    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: ArgumentHelp(
        "Save a checkpoint every N steps (0: only when the front end asks).", valueName: "n"))
    public var checkpointEvery = 0
    @Option(name: .customLong("keep-checkpoints"), parsing: .unconditional, help: ArgumentHelp(
        "Keep only the newest K complete checkpoints (default: all).", valueName: "k"))
    public var keepCheckpoints: Int?
    @Flag(help: ArgumentHelp(
        "Resume from the newest complete checkpoint in --checkpoint-dir (on any mesh and number of ranks).",
        discussion: "A damaged newest checkpoint is refused; with no checkpoint at all, training starts at step 1."))
    public var resume = false
    @Option(name: .customLong("resume-step"), parsing: .unconditional, help: ArgumentHelp(
        "Resume from the checkpoint of exactly this step.", valueName: "n"))
    public var resumeStep: Int?
    @Flag(name: .customLong("resume-latest-valid"), help: ArgumentHelp(
        "Like --resume, but if the newest checkpoint is damaged (a file missing, truncated or corrupted), fall back to the newest one that verifies, and say so."))
    public var resumeLatestValid = false

    public init() {}

    public var policy: ResumePolicy? {
        if resume { return .latest }
        if resumeLatestValid { return .latestValid }
        return resumeStep.map { .step($0) }
    }

    /// Sets the checkpoint fields of `config`; two resume options at once are refused.
    public func apply(to config: inout TrainingConfig) throws {
        let chosen = [resume ? "--resume" : nil, resumeStep.map { _ in "--resume-step" },
                      resumeLatestValid ? "--resume-latest-valid" : nil].compactMap { $0 }
        if chosen.count > 1 { throw ConfigError("\(chosen.joined(separator: " and ")) exclude each other: pick one") }
        if let checkpointDir { try InputFile.requireFolderOrAbsent(checkpointDir, "--checkpoint-dir \(checkpointDir)") }
        config.checkpointDir = checkpointDir
        config.checkpointEvery = checkpointEvery
        config.keepCheckpoints = keepCheckpoints
        config.resume = policy
    }
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
