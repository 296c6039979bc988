/// Everything one training run is: what `meshtop run` resolves from its options (and a TOML
/// file), what the launcher writes out as the ranks' arguments (RunOptions.RankArguments), what
/// every rank parses back and trains, and what rank 0's hello carries to the front end.
/// Defaults are torchtitan's debugmodel config at seq_len 256 on the shipped data.
public struct RunSpecification: Codable, Equatable, Sendable {
    /// The device mesh [dp_replicate, dp_shard]; its size is the number of ranks.
    public var mesh = try! MeshShape(replicate: 1, shard: 1)
    public var flavor = "debugmodel"
    public var model = ModelConfig.debugmodel
    public var seqLen = 256
    public var localBatchSize = 8
    public var gradAccum = 1
    public var steps = 10
    public var seed: UInt64 = 0
    public var optimizer = AdamWConfig()
    public var warmupSteps = 2
    public var decayRatio: Double? = 0.8
    public var minLRFactor = 0.0
    public var maxNorm = 1.0
    public var dataPath: String
    public var tokenizerPath: String
    /// Where tokenized data is cached and run outputs go (torchtitan's job.dump_folder).
    public var dumpFolder = "outputs"
    public var initWeights: String?
    public var saveWeights: String?
    /// Replicate's gradient bucket size in MiB.
    public var bucketMB = 4.0
    /// FSDP: drop a unit's gathered parameters after its forward (gather again for backward).
    public var reshardAfterForward = true
    /// Compute threads per rank: the model's lanes (ModelSizes.laneCount), or OpenBLAS's for one sequence.
    public var threads = 1
    /// The per-rank peak in TFLOP/s; nil measures it.
    public var peakTFLOPS: Double?
    /// Where checkpoints are written and resumed from (docs/checkpoints.md).
    public var checkpointDir: String?
    /// Save every N steps (0: only when asked, `Trainer.requestCheckpoint`).
    public var checkpointEvery = 0
    /// Keep the newest K complete checkpoints (nil: all).
    public var keepCheckpoints: Int?
    /// Resume from a checkpoint of `checkpointDir` before training.
    public var resume: ResumePolicy?
    /// Print the step line of step 1 and of every N-th step (torchtitan's metrics.log_freq).
    public var logFreq = 1
    /// Fault injection for tests and demos (FaultInjection.swift): a rank whose compute is made slow,
    /// and a rank that stops itself at the start of a step.
    public var debugSlowRank: SlowRank?
    public var debugStallRank: StallRank?

    public init(dataPath: String, tokenizerPath: String) {
        self.dataPath = dataPath
        self.tokenizerPath = tokenizerPath
    }

    /// torchtitan's rule: step 1, then every `logFreq`-th step.
    public func logsStep(_ step: Int) -> Bool { step == 1 || step % logFreq == 0 }

    /// Refuses impossible values, naming the option and the value.
    public func validate() throws {
        func require(_ ok: Bool, _ option: String, _ value: Any, _ rule: String) throws {
            let shown = "\(value)".isEmpty ? "" : " \(value)"
            if !ok { throw ConfigError("\(option)\(shown): \(rule)") }
        }
        try require(seqLen >= 1, "--seq-len", seqLen, "must be at least 1")
        try require(seqLen <= model.maxSeqLen, "--seq-len", seqLen, "exceeds the model's max_seq_len \(model.maxSeqLen)")
        try require(localBatchSize >= 1, "--local-batch-size", localBatchSize, "must be at least 1")
        try require(gradAccum >= 1, "--grad-accum", gradAccum, "must be at least 1")
        try require(steps >= 1, "--steps", steps, "must be at least 1")
        try require(warmupSteps >= 0, "--warmup-steps", warmupSteps, "must not be negative")
        try require(optimizer.lr > 0 && optimizer.lr.isFinite, "--lr", optimizer.lr, "must be positive")
        try require(optimizer.weightDecay >= 0, "--weight-decay", optimizer.weightDecay, "must not be negative")
        try require(maxNorm > 0, "--max-norm", maxNorm, "must be positive")
        try require(decayRatio.map { $0 >= 0 && $0 <= 1 } ?? true, "--decay-ratio", decayRatio ?? 0, "must be between 0 and 1")
        try require(minLRFactor >= 0 && minLRFactor <= 1, "--min-lr-factor", minLRFactor, "must be between 0 and 1")
        try require(threads >= 1, "--threads", threads, "must be at least 1")
        try require(logFreq >= 1, "--log-freq", logFreq, "must be at least 1")
        try require(bucketMB > 0, "--bucket-mb", bucketMB, "must be positive")
        try require(peakTFLOPS.map { $0 > 0 } ?? true, "--peak-tflops", peakTFLOPS ?? 0, "must be positive")
        try require(checkpointEvery >= 0, "--checkpoint-every", checkpointEvery, "must not be negative")
        try require(checkpointEvery == 0 || checkpointDir != nil, "--checkpoint-every", checkpointEvery, "needs --checkpoint-dir")
        try require(keepCheckpoints.map { $0 >= 1 } ?? true, "--keep-checkpoints", keepCheckpoints ?? 0, "must be at least 1")
        try require(keepCheckpoints == nil || checkpointDir != nil, "--keep-checkpoints", keepCheckpoints ?? 0, "needs --checkpoint-dir")
        let ranks = mesh.worldSize == 1 ? "its one rank is 0" : "its ranks are 0-\(mesh.worldSize - 1)"
        if let slow = debugSlowRank {
            try require(slow.rank >= 0 && slow.rank < mesh.worldSize, "--debug-slow-rank", slow,
                        "rank \(slow.rank) is not in the run (\(ranks))")
            try require(slow.factor >= 1, "--debug-slow-rank", slow, "FACTOR must be at least 1")
        }
        if let stall = debugStallRank {
            try require(stall.rank >= 0 && stall.rank < mesh.worldSize, "--debug-stall-rank", stall,
                        "rank \(stall.rank) is not in the run (\(ranks))")
            try require(stall.step >= 1, "--debug-stall-rank", stall, "STEP must be at least 1")
        }
        switch resume {
        case nil: break
        case .latest?: try require(checkpointDir != nil, "--resume", "", "needs --checkpoint-dir")
        case .latestValid?: try require(checkpointDir != nil, "--resume-latest-valid", "", "needs --checkpoint-dir")
        case let .step(n)?:
            try require(n >= 1, "--resume-step", n, "must be at least 1")
            try require(checkpointDir != nil, "--resume-step", n, "needs --checkpoint-dir")
        }
        try model.validate()
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
