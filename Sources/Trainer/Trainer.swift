import CBLAS
import Checkpoint
import Collectives
import Dataset
import Foundation
import Memory
import Mesh
import Metrics
import Model
import Optim
import Parallel
import Tokenizer

/// One rank's training run, read top to bottom: build everything once, then `step` repeatedly.
public final class Trainer {
    public let config: TrainingConfig
    public let mesh: DeviceMesh
    public let ledger = MemoryLedger()
    public let model: Llama
    /// Replicate on (R, 1), FSDP on (1, S), HSDP on (R, S).
    public let parallel: DataParallel
    public let peak: PeakFlops
    public let flopsPerToken: Double

    private let optimizer: AdamW
    private let schedule: LRSchedule
    private let data: TokenSource
    private let plan: BatchPlan
    private let inputs: UnsafeMutableBufferPointer<Int32>
    private let targets: UnsafeMutableBufferPointer<Int32>
    private let log: (String) -> Void
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()

    /// Optimizer steps done: the checkpoint's step after a resume, then one more per `step`.
    public private(set) var completedSteps = 0
    /// Called on rank 0 after every checkpoint this trainer writes (periodic or asked for).
    public var onCheckpoint: ((SaveResult) -> Void)?
    /// The checkpoint this run resumed from, if any.
    public private(set) var resumed: ResumeOutcome?
    private var resumeLog: [String] = []
    private let checkpointRequest = CheckpointRequest()

    /// Collective over the mesh's world: every rank builds its trainer at the same time.
    public init(config: TrainingConfig, mesh: DeviceMesh, log: @escaping (String) -> Void) throws {
        try config.validate()
        self.config = config
        self.mesh = mesh
        self.log = log
        openblas_set_num_threads(Int32(config.threads))

        let tokenizer = try BPETokenizer(contentsOf: config.tokenizerPath)
        guard tokenizer.vocabSize <= config.model.vocabSize else {
            throw ConfigError("--tokenizer \(config.tokenizerPath) has \(tokenizer.vocabSize) tokens, more than the model's vocab_size \(config.model.vocabSize)")
        }
        data = try TokenSource.load(path: config.dataPath, tokenizer: tokenizer,
                                    cacheDirectory: URL(fileURLWithPath: config.dumpFolder).appendingPathComponent("cache").path)
        plan = try BatchPlan(tokenCount: data.count, seqLen: config.seqLen, localBatch: config.localBatchSize,
                             gradAccum: config.gradAccum, dataParallelDegree: mesh.shape.worldSize)

        let sharded = mesh.shape.shard > 1
        model = try Llama(config: config.model, batchSize: config.localBatchSize, seqLen: config.seqLen, ledger: ledger,
                          allocateParameters: !sharded)
        if sharded {
            parallel = FullyShard(model: model, shardGroup: mesh.shardGroup, replicateGroup: mesh.replicateGroup,
                                  ledger: ledger, reshardAfterForward: config.reshardAfterForward)
        } else {
            parallel = Replicate(model: model, group: mesh.replicateGroup, bucketBytes: Int(config.bucketMB * 1_048_576),
                                 ledger: ledger)
        }
        let count = parallel.parameters.count
        optimizer = AdamW(config: config.optimizer,
                          m: ledger.allocate(Float.self, count: count, category: .optimizer, label: "adamw.exp_avg"),
                          v: ledger.allocate(Float.self, count: count, category: .optimizer, label: "adamw.exp_avg_sq"))
        schedule = config.schedule
        let tokensPerMicroBatch = config.localBatchSize * config.seqLen
        inputs = ledger.allocate(Int32.self, count: tokensPerMicroBatch, category: .activations, label: "batch.inputs")
        targets = ledger.allocate(Int32.self, count: tokensPerMicroBatch, category: .activations, label: "batch.targets")

        try Self.initializeWeights(config: config, model: model, parallel: parallel)

        peak = try Self.agreePeak(config: config, world: mesh.world)
        flopsPerToken = config.model.flopsPerToken(seqLen: config.seqLen)
        if let policy = config.resume, let dir = config.checkpointDir {
            var notes: [String] = []
            resumed = try CheckpointLoader.resume(policy: policy, store: CheckpointStore(path: dir), model: config.model,
                                                  state: localState, world: mesh.world, log: { notes.append($0) })
            if let resumed {
                completedSteps = resumed.manifest.step
                optimizer.stepCount = resumed.manifest.run.optimizerStepCount
            }
            resumeLog = notes + resumeLines(dir: dir)
        }
    }

    /// Every rank builds the same full weights (from the seed or a file) and keeps its part.
    private static func initializeWeights(config: TrainingConfig, model: Llama, parallel: DataParallel) throws {
        let layout = model.layout
        func fill(_ full: UnsafeMutableBufferPointer<Float>) throws {
            if let path = config.initWeights {
                try Weights.load(path, into: full, layout: layout)
            } else {
                Initializer.initialize(full, layout: layout, seed: config.seed)
            }
        }
        guard let sharded = parallel as? FullyShard else { return try fill(model.parameters) }
        let full = UnsafeMutableBufferPointer<Float>.allocate(capacity: layout.count)
        defer { full.deallocate() }
        try fill(full)
        sharded.loadShard(from: UnsafeBufferPointer(full))
    }

    /// Rank 0 measures (or reads the cached or given peak) and every rank uses its figure.
    private static func agreePeak(config: TrainingConfig, world: Communicator) throws -> PeakFlops {
        var peak = PeakFlops.given(tflops: config.peakTFLOPS ?? 0)
        if world.rank == 0 && config.peakTFLOPS == nil {
            let cache = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/meshtop")
            peak = PeakFlops.measuredOrCached(threads: config.threads, cacheDirectory: cache)
        }
        let encoded = try world.broadcastBytes(world.rank == 0 ? Array(try JSONEncoder().encode(peak)) : [], root: 0)
        return try JSONDecoder().decode(PeakFlops.self, from: Data(encoded))
    }

    public var globalBatchSize: Int { config.localBatchSize * config.gradAccum * mesh.shape.worldSize }

    /// torchtitan's start-up lines, then one line per step; rank 0 logs, every rank trains.
    @discardableResult
    public func run(onStep: (StepReport) throws -> Void = { _ in }) throws -> [StepReport] {
        if mesh.rank == 0 {
            log(mesh.shape.buildingLine)
            log(LogFormat.modelSizeLine(flavor: config.flavor, parameters: config.model.parameterCount))
            log(LogFormat.peakFlopsLine(peak.flops))
            log("Peak FLOPS source: \(peak.source.rawValue) (\(peak.detail))")
            log(LogFormat.trainerLine(localBatch: config.localBatchSize, globalBatch: globalBatchSize,
                                      gradAccum: config.gradAccum, seqLen: config.seqLen, steps: config.steps,
                                      warmup: config.warmupSteps))
            resumeLog.forEach(log)
        }
        var reports: [StepReport] = []
        for n in completedSteps..<config.steps {
            let report = try step(n)
            reports.append(report)
            if mesh.rank == 0 { log(Self.stepLine(report)) }
            try onStep(report)
            if try checkpointDue(afterStep: n + 1) { try saveCheckpoint() }
        }
        if let path = config.saveWeights { try saveWeights(to: path) }
        return reports
    }

    /// Collective: gathers the full weights and rank 0 writes them.
    public func saveWeights(to path: String) throws {
        let full = UnsafeMutableBufferPointer<Float>.allocate(capacity: model.layout.count)
        defer { full.deallocate() }
        try parallel.gatherFullParameters(into: full)
        if mesh.rank == 0 { try Weights.save(UnsafeBufferPointer(full), layout: model.layout, to: path) }
    }

    // MARK: checkpoints (docs/checkpoints.md)

    /// Asks for a checkpoint at the end of the current step (from any thread, on any rank; the
    /// ranks agree on it after the step). Needs `checkpointDir`.
    public func requestCheckpoint() { checkpointRequest.set() }

    /// Collective: writes a checkpoint of the state after `completedSteps` steps now.
    @discardableResult
    public func saveCheckpoint() throws -> SaveResult {
        guard let dir = config.checkpointDir else { throw ConfigError("a checkpoint needs --checkpoint-dir") }
        let result = try CheckpointWriter.save(step: completedSteps, run: runRecord(), state: localState,
                                               store: CheckpointStore(path: dir), world: mesh.world, mesh: mesh.shape,
                                               keep: config.keepCheckpoints)
        if mesh.rank == 0 {
            log(String(format: "Saved checkpoint %@ (%d file%@, %.1f MB) in %.2f seconds", result.url.path, result.files,
                       result.files == 1 ? "" : "s", Double(result.bytes) / 1e6, result.seconds))
            for name in result.removed { log("Removed old checkpoint \(name) (--keep-checkpoints \(config.keepCheckpoints ?? 0))") }
            onCheckpoint?(result)
        }
        return result
    }

    /// Every `checkpointEvery` steps, or when some rank was asked (agreed over the world).
    private func checkpointDue(afterStep step: Int) throws -> Bool {
        guard config.checkpointDir != nil else { return false }
        let due = config.checkpointEvery > 0 && step % config.checkpointEvery == 0
        var asked: Int32 = checkpointRequest.take() ? 1 : 0
        if mesh.world.size > 1 { asked = try mesh.world.allReduce([asked], op: .max)[0] }
        return due || asked != 0
    }

    /// This rank's parameters and AdamW moments, and where they sit in the full layout.
    private var localState: LocalState {
        LocalState(params: parallel.parameters, expAvg: optimizer.m, expAvgSq: optimizer.v, pieces: parallel.pieces)
    }

    /// The essentials a checkpoint records besides the tensors.
    public func runRecord() -> RunRecord {
        let o = config.optimizer
        return RunRecord(flavor: config.flavor, model: config.model, optimizerStepCount: optimizer.stepCount, lr: o.lr,
                         beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, steps: config.steps,
                         warmupSteps: config.warmupSteps, decayRatio: config.decayRatio, minLRFactor: config.minLRFactor,
                         maxNorm: config.maxNorm, seqLen: config.seqLen, localBatchSize: config.localBatchSize,
                         gradAccum: config.gradAccum, sequencesPerStep: plan.sequencesPerStep, nextDataStep: completedSteps,
                         seed: config.seed, dataPath: config.dataPath, tokenizerPath: config.tokenizerPath)
    }

    /// What rank 0 says about the resume: where from, and what differs from the run that wrote it.
    private func resumeLines(dir: String) -> [String] {
        guard let resumed else { return ["No checkpoint in \(dir): training from step 1"] }
        let m = resumed.manifest
        var lines = [String(format: "Loaded checkpoint %@ (step %d, written on mesh %@ by %d rank%@) in %.2f seconds; resuming at step %d",
                            resumed.url.path, m.step, m.mesh.description, m.worldSize, m.worldSize == 1 ? "" : "s",
                            resumed.seconds, m.step + 1)]
        if !resumed.removedTemporary.isEmpty {
            lines.append("Removed unfinished checkpoint folders: \(resumed.removedTemporary.joined(separator: ", "))")
        }
        // Split differently (local batch, accumulation, world) is fine; other changes alter the run.
        let ignored: Set = ["localBatchSize", "gradAccum", "flavor", "seed"]
        let changes = runRecord().differences(from: m.run).filter { !ignored.contains($0.field) }
        if !changes.isEmpty {
            lines.append("Note: this run differs from the checkpoint's: "
                + changes.map { "\($0.field) \($0.there) -> \($0.here)" }.joined(separator: ", "))
        }
        return lines
    }

    /// One optimizer step, 0-based `n` (logged as n + 1, as torchtitan does).
    public func step(_ n: Int) throws -> StepReport {
        var times = StepTimes()
        let start = now()
        let accum = config.gradAccum
        parallel.startStep(microBatches: accum)
        var lossSum = 0.0
        for k in 0..<accum {
            let t0 = now()
            data.tokens.withUnsafeBufferPointer { tokens in
                plan.fill(step: n, rank: mesh.rank, microBatch: k, tokens: tokens, inputs: inputs, targets: targets)
            }
            let t1 = now()
            parallel.startMicroBatch(k)
            lossSum += Double(model.forward(inputs: UnsafeBufferPointer(inputs), targets: UnsafeBufferPointer(targets),
                                            hooks: parallel))
            model.backward(lossScale: 1 / Float(accum), hooks: parallel)
            times.data += t1 - t0
            times.compute += now() - t1
        }

        // Gradients averaged over every data-parallel rank; the loss too (every rank has as many tokens).
        // Waits inside the hooks happened during forward/backward: they are communication, not compute.
        let waitedDuringCompute = parallel.communication.totalWaitSeconds
        times.compute -= waitedDuringCompute
        let t2 = now()
        try parallel.finishGradients()
        var loss = lossSum / Double(accum)
        if mesh.world.size > 1 { loss = try mesh.world.allReduce([loss], op: .sum)[0] / Double(mesh.world.size) }
        let t3 = now()
        times.communication = waitedDuringCompute + (t3 - t2)
        guard loss.isFinite else { throw TrainingError.nonFiniteLoss(step: n + 1, loss: loss) }

        let gradients = parallel.gradients
        let sumOfSquares = GradientClipping.sumOfSquares(UnsafeBufferPointer(gradients))
        let gradNorm = try parallel.globalSumOfSquares(local: sumOfSquares).squareRoot()
        _ = GradientClipping.clip(gradients, totalNorm: gradNorm, maxNorm: config.maxNorm)
        let lr = schedule.lr(step: n + 1)
        optimizer.step(parameters: parallel.parameters, gradients: UnsafeBufferPointer(gradients), lr: lr)
        let end = now()
        times.optimizer = end - t3
        times.total = end - start

        let tokens = config.localBatchSize * config.seqLen * accum
        let resident = ResidentMemory.read()
        let local = RankFigures(
            rank: mesh.rank, host: Host.name, pid: getpid(), tokens: tokens, seconds: times,
            throughput: Throughput(tokens: tokens, seconds: times.total, flopsPerToken: flopsPerToken, peakFlops: peak.flops),
            communication: parallel.communication, memory: ledger.byCategory,
            residentBytes: resident?.currentBytes ?? 0, peakResidentBytes: resident?.peakBytes ?? 0)
        completedSteps = n + 1
        return StepReport(step: n + 1, loss: loss, gradNorm: gradNorm, lr: Double(lr), local: local,
                          ranks: try gatherFigures(local))
    }

    /// Every rank's figures, in rank order, on rank 0 (empty elsewhere).
    private func gatherFigures(_ local: RankFigures) throws -> [RankFigures] {
        guard mesh.world.size > 1 else { return [local] }
        let gathered = try mesh.world.gatherBytes(Array(try encoder.encode(local)), root: 0)
        return try gathered?.map { try decoder.decode(RankFigures.self, from: Data($0)) } ?? []
    }

    /// torchtitan's step line from rank 0's own figures (its tps is per device, as there).
    static func stepLine(_ r: StepReport) -> String {
        let peak = r.local.peakResidentBytes
        let gib = Double(peak) / Double(1 << 30)
        let percent = 100 * Double(peak) / Double(ResidentMemory.physicalBytes())
        return LogFormat.stepLine(step: r.step, loss: r.loss, gradNorm: r.gradNorm, memoryGiB: gib, memoryPercent: percent,
                                  tokensPerSecond: r.local.throughput.tokensPerSecond, tflops: r.local.throughput.tflops,
                                  mfu: r.local.throughput.mfu)
    }
}

public enum TrainingError: Error, CustomStringConvertible {
    case nonFiniteLoss(step: Int, loss: Double)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(step, loss): return "the loss became \(loss) at step \(step); stopping"
        }
    }
}

/// A "checkpoint now" request, set from any thread and taken by the training loop.
final class CheckpointRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    func set() { lock.lock(); pending = true; lock.unlock() }
    func take() -> Bool { lock.lock(); defer { pending = false; lock.unlock() }; return pending }
}
