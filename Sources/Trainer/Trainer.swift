import CBLAS
import Checkpoint
import Collectives
import Dataset
import Foundation
import Memory
import Mesh
import Metrics
import Model
import ModelShape
import Optim
import Parallel
import RunSpec
import Tokenizer

/// One rank's training run, read top to bottom: build everything once, then `step` repeatedly.
public final class Trainer {
    public let config: RunSpecification
    public let mesh: DeviceMesh
    public let ledger = MemoryLedger()
    public let model: Llama
    /// Replicate on (R, 1), FSDP on (1, S), HSDP on (R, S).
    public let parallel: DataParallel
    /// The peak MFU is measured against; on rank 0 a step that beats it raises it (PeakCheck).
    public private(set) var peak: PeakFlops
    /// Where a measured peak is cached (a raised one is not: checkPeak).
    let peakCache = PeakCache.standard()
    /// More ranks x threads on this host than its cores: collectives are tested only at unit boundaries.
    let oversubscribed: Bool
    public let flopsPerToken: Double

    let optimizer: AdamW
    private let schedule: LRSchedule
    private let data: TokenSource
    let plan: BatchPlan
    private let inputs: UnsafeMutableBufferPointer<Int32>
    private let targets: UnsafeMutableBufferPointer<Int32>
    let log: (String) -> Void
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()

    /// Optimizer steps done: the checkpoint's step after a resume, then one more per `step`.
    public private(set) var completedSteps = 0
    /// Called on rank 0 after every checkpoint this trainer writes (periodic or asked for).
    public var onCheckpoint: ((SaveResult) -> Void)?
    /// The checkpoint this run resumed from, if any.
    public private(set) var resumed: ResumeOutcome?
    private var resumeLog: [String] = []
    let checkpointRequest = CheckpointRequest()

    /// Collective over the mesh's world: every rank builds its trainer at the same time.
    public init(config: RunSpecification, mesh: DeviceMesh, log: @escaping (String) -> Void) throws {
        try config.validate()
        try config.schedule.validate()
        self.config = config
        self.mesh = mesh
        self.log = log
        // The batch is split over the threads (one lane each, single-threaded BLAS); a batch of one
        // sequence leaves them to OpenBLAS.
        let lanes = ModelSizes.laneCount(threads: config.threads, batchSize: config.localBatchSize)
        openblas_set_num_threads(Int32(lanes > 1 ? 1 : config.threads))
        oversubscribed = Self.hostOversubscribed(threads: config.threads)

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
                          allocateParameters: !sharded, lanes: lanes)
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

        peak = try Self.agreePeak(config: config, lanes: lanes, world: mesh.world, cache: peakCache)
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
        // A resume has overwritten every parameter and moment: initialising first would only
        // cost a relaunch (a mesh switch) a few hundred milliseconds.
        if resumed == nil { try Self.initializeWeights(config: config, model: model, parallel: parallel) }
    }

    /// Every rank builds the same full weights (from the seed or a file) and keeps its part.
    private static func initializeWeights(config: RunSpecification, model: Llama, parallel: DataParallel) throws {
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

    public var globalBatchSize: Int { config.localBatchSize * config.gradAccum * mesh.shape.worldSize }

    /// torchtitan's start-up lines, then one line per step; rank 0 logs, every rank trains.
    @discardableResult
    public func run(onStep: (StepReport) throws -> Void = { _ in }) throws -> [StepReport] {
        if mesh.rank == 0 {
            log(mesh.shape.buildingLine)
            log(LogFormat.modelSizeLine(flavor: config.flavor, parameters: config.model.parameterCount))
            log(LogFormat.peakFlopsLine(peak.flops))
            log(peak.sourceLine())
            log(LogFormat.trainerLine(localBatch: config.localBatchSize, globalBatch: globalBatchSize,
                                      gradAccum: config.gradAccum, seqLen: config.seqLen, steps: config.steps,
                                      warmup: config.warmupSteps))
            resumeLog.forEach(log)
            faultInjectionLines.forEach(log)
        }
        var reports: [StepReport] = []
        for n in completedSteps..<config.steps {
            mesh.activity.begin(step: n + 1)
            let report = try step(n)
            mesh.activity.completed(steps: n + 1)
            mesh.activity.enter(.idle)
            reports.append(report)
            if mesh.rank == 0 && config.logsStep(report.step) { log(Self.stepLine(report)) }
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

    /// One optimizer step, 0-based `n` (logged as n + 1, as torchtitan does).
    public func step(_ n: Int) throws -> StepReport {
        stallIfAsked(step: n + 1)
        var times = StepTimes()
        let start = monotonicSeconds()
        let accum = config.gradAccum
        model.resetGemmTally()
        parallel.startStep(microBatches: accum)
        _ = mesh.activity.takeWaits()  // the step's own waits only: not the last step's reporting
        let hooks = stepHooks()
        var lossSum = 0.0
        for k in 0..<accum {
            let t0 = monotonicSeconds()
            mesh.activity.enter(.data)
            data.tokens.withUnsafeBufferPointer { tokens in
                plan.fill(step: n, rank: mesh.rank, microBatch: k, tokens: tokens, inputs: inputs, targets: targets)
            }
            let t1 = monotonicSeconds()
            mesh.activity.enter(.forward)
            parallel.startMicroBatch(k)
            lossSum += Double(model.forward(inputs: UnsafeBufferPointer(inputs), targets: UnsafeBufferPointer(targets),
                                            hooks: hooks))
            mesh.activity.enter(.backward)
            model.backward(lossScale: 1 / Float(accum), hooks: hooks)
            times.data += t1 - t0
            times.compute += monotonicSeconds() - t1
        }

        // Gradients averaged over every data-parallel rank; the loss too (every rank has as many tokens).
        // Waits inside the hooks happened during forward/backward: they are communication, not compute.
        let waitedDuringCompute = parallel.communication.totalWaitSeconds
        times.compute -= waitedDuringCompute
        let t2 = monotonicSeconds()
        try parallel.finishGradients()
        var loss = lossSum / Double(accum)
        if mesh.world.size > 1 { loss = try mesh.world.allReduce([loss], op: .sum)[0] / Double(mesh.world.size) }
        let t3 = monotonicSeconds()
        times.communication = waitedDuringCompute + (t3 - t2)
        guard loss.isFinite else { throw TrainingError.nonFiniteLoss(step: n + 1, loss: loss) }

        mesh.activity.enter(.optimizer)
        let gradients = parallel.gradients
        let sumOfSquares = GradientClipping.sumOfSquares(UnsafeBufferPointer(gradients))
        let gradNorm = try parallel.globalSumOfSquares(local: sumOfSquares).squareRoot()
        _ = GradientClipping.clip(gradients, totalNorm: gradNorm, maxNorm: config.maxNorm)
        let lr = schedule.lr(step: n + 1)
        optimizer.step(parameters: parallel.parameters, gradients: UnsafeBufferPointer(gradients), lr: lr,
                       parts: model.onLaneThreads)
        let end = monotonicSeconds()
        times.optimizer = end - t3
        times.total = end - start
        let gemm = model.gemmTally
        times.gemm = gemm.meanSeconds

        let tokens = config.localBatchSize * config.seqLen * accum
        let resident = ResidentMemory.read()
        let local = RankFigures(
            rank: mesh.rank, host: thisHostName, pid: getpid(), tokens: tokens, seconds: times,
            throughput: Throughput(tokens: tokens, seconds: times.total, flopsPerToken: flopsPerToken, peakFlops: peak.flops,
                                   gemm: (gemm.meanSeconds, gemm.flops, times.communication)),
            communication: parallel.communication, memory: ledger.byCategory,
            residentBytes: resident?.currentBytes ?? 0, peakResidentBytes: resident?.peakBytes ?? 0, gemmFlops: gemm.flops,
            waits: mesh.activity.takeWaits(), loss: lossSum / Double(accum))
        completedSteps = n + 1
        var report = StepReport(step: n + 1, loss: loss, gradNorm: gradNorm, lr: Double(lr), local: local,
                                ranks: try gatherFigures(local))
        if mesh.rank == 0 { checkPeak(&report) }
        return report
    }

    /// Rank 0: every gathered MFU against the peak in force, raised for this run if a rank beat it.
    /// A raised peak is never cached: a step's rate is in model FLOPs (torchtitan's formula counts
    /// attention's masked half, which the kernels skip), not the sgemm FLOPs the cache holds, so it
    /// can pass the cores' sgemm ceiling, and cached it would lower every later run's MFU.
    private func checkPeak(_ report: inout StepReport) {
        let checked = PeakCheck.apply(step: report.step, peak: peak, ranks: report.ranks, flopsPerToken: flopsPerToken)
        report.peakChanged = checked.peak != peak
        if report.peakChanged { log(checked.peak.sourceLine()) }
        peak = checked.peak
        report.ranks = checked.ranks
        if let mine = checked.ranks.first(where: { $0.rank == mesh.rank }) { report.local = mine }
        report.peak = peak
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
            + (r.peak.map { "  " + $0.stepSuffix() } ?? "")
            + (r.local.throughput.split.map { "  = " + $0.text } ?? "")
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
