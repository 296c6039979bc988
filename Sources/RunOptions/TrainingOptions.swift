import ArgumentParser
import RunSpec

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
    @Option(name: .customLong("debug-slow-rank"), help: ArgumentHelp(
        "Debug (fault injection for tests and demos): rank R's forward and backward take FACTOR times as long.",
        discussion: "After each unit's compute the rank waits FACTOR - 1 times as long again, so its peers wait for it in the collectives that follow; the wait counts as its compute.",
        valueName: "R:FACTOR"), transform: SlowRank.parse)
    public var debugSlowRank: SlowRank?
    @Option(name: .customLong("debug-stall-rank"), help: ArgumentHelp(
        "Debug (fault injection for tests and demos): rank R stops (SIGSTOP) at the start of step STEP, before its collectives.",
        discussion: "It goes on when sent SIGCONT (kill -CONT PID; it says its pid on stderr), or until the run is stopped.",
        valueName: "R:STEP"), transform: StallRank.parse)
    public var debugStallRank: StallRank?

    public init() {}

    public func resolve(model: (name: String, config: ModelConfig)) throws -> RunSpecification {
        var config = RunSpecification(dataPath: try data ?? ShippedData.path(ShippedData.corpus),
                                    tokenizerPath: try tokenizer ?? ShippedData.path(ShippedData.tokenizer))
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
        config.debugSlowRank = debugSlowRank
        config.debugStallRank = debugStallRank
        return config
    }
}
