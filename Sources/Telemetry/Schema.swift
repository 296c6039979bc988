import Foundation
import RunSpec

/// The wire schema of the telemetry stream (docs/telemetry.md): one JSON object per line, each
/// with `"event"` (its kind) and `"time"` (Unix seconds when rank 0 emitted it), then the
/// fields of that kind. Keys are the Swift property names (camelCase); memory categories and
/// collective kinds are the snake_case names `RunSpec.MemoryCategory` and
/// `RunSpec.CollectiveKind` use as raw values. Unknown fields are ignored, so fields may be
/// added without a new version; removing or retyping one needs a new `version`.
///
/// This module depends on Foundation only, so the front end can read the stream without linking
/// the trainer (MPI, BLAS); the trainer maps its `StepReport` onto these types.
public enum TelemetrySchema {
    /// Carried by `hello`; a receiver refuses a session whose hello has another version.
    public static let version = 1
    /// Longest line (without its newline) either side accepts; longer lines are discarded.
    public static let maxLineLength = 1 << 20
}

/// One message of the stream.
public enum Event: Equatable, Sendable {
    case hello(Hello)
    case step(Step)
    case checkpoint(Checkpoint)
    case log(LogLine)
    case warning(Notice)
    case error(Notice)
    case done(Done)
    /// The front end's, never rank 0's: a failure recovered from (RecoveryNotice.swift).
    case recovery(RecoveryNotice)

    /// The kind as it appears in the `"event"` field.
    public var kind: EventKind {
        switch self {
        case .hello: return .hello
        case .step: return .step
        case .checkpoint: return .checkpoint
        case .log: return .log
        case .warning: return .warning
        case .error: return .error
        case .done: return .done
        case .recovery: return .recovery
        }
    }
}

public enum EventKind: String, CaseIterable, Sendable {
    case hello, step, checkpoint, log, warning, error, done, recovery
}

/// An event with the time rank 0 emitted it.
public struct TelemetryRecord: Equatable, Sendable {
    /// Unix time in seconds.
    public var time: Double
    public var event: Event

    public init(time: Double, event: Event) {
        self.time = time
        self.event = event
    }
}

// MARK: - hello

/// The run, once, before any step: what the dashboard lays out its panels from.
public struct Hello: Codable, Equatable, Sendable {
    /// `TelemetrySchema.version` of the sender.
    public var schema: Int
    public var config: RunConfig
    public var mesh: MeshLayout
    public var model: ModelSummary
    /// Training FLOPs per token (6N + the attention term), as MFU uses it.
    public var flopsPerToken: Double
    public var peak: PeakInfo
    /// Every rank, in rank order.
    public var ranks: [RankIdentity]
    /// The whole run as the ranks parsed it: what the front end plans and relaunches from (the
    /// fields above summarise it for display). nil in recordings from before it was sent.
    public var spec: RunSpecification?
    /// The bytes a step sends between hosts as the planner predicts them for these ranks' hosts:
    /// added by the front end to the hello it records (`--metrics-file`), absent from rank 0's
    /// stream, on one host and in older recordings.
    public var predictedInterHostBytesPerStep: Int?

    public init(schema: Int = TelemetrySchema.version, config: RunConfig, mesh: MeshLayout, model: ModelSummary,
                flopsPerToken: Double, peak: PeakInfo, ranks: [RankIdentity], spec: RunSpecification? = nil) {
        self.schema = schema
        self.config = config
        self.mesh = mesh
        self.model = model
        self.flopsPerToken = flopsPerToken
        self.peak = peak
        self.ranks = ranks
        self.spec = spec
    }
}

/// The training options the dashboard shows (a subset of the trainer's configuration).
public struct RunConfig: Codable, Equatable, Sendable {
    /// Optimizer steps the run will take.
    public var steps: Int
    public var seqLen: Int
    /// Sequences per rank per micro-batch.
    public var localBatchSize: Int
    /// Sequences per optimizer step over every rank (local x grad accum x data-parallel ranks).
    public var globalBatchSize: Int
    public var gradAccum: Int
    public var warmupSteps: Int
    /// Peak learning rate.
    public var lr: Double
    public var maxNorm: Double
    public var seed: UInt64
    /// BLAS threads per rank.
    public var threads: Int
    public var dataPath: String
    public var tokenizerPath: String
    /// The rank's command line (arguments after the program), for the record.
    public var arguments: [String]
    /// Replicate's gradient bucket in MiB (--bucket-mb); nil in recordings from before it was sent.
    public var bucketMB: Double?
    /// FSDP/HSDP: gathered parameters dropped after each unit's forward; nil as `bucketMB`.
    public var reshardAfterForward: Bool?

    public init(steps: Int, seqLen: Int, localBatchSize: Int, globalBatchSize: Int, gradAccum: Int, warmupSteps: Int,
                lr: Double, maxNorm: Double, seed: UInt64, threads: Int, dataPath: String, tokenizerPath: String,
                arguments: [String] = [], bucketMB: Double? = nil, reshardAfterForward: Bool? = nil) {
        self.steps = steps; self.seqLen = seqLen; self.localBatchSize = localBatchSize
        self.globalBatchSize = globalBatchSize; self.gradAccum = gradAccum; self.warmupSteps = warmupSteps
        self.lr = lr; self.maxNorm = maxNorm; self.seed = seed; self.threads = threads
        self.dataPath = dataPath; self.tokenizerPath = tokenizerPath; self.arguments = arguments
        self.bucketMB = bucketMB; self.reshardAfterForward = reshardAfterForward
    }
}

/// The 2-D data-parallel mesh `[dp_replicate, dp_shard]`; rank `r * shard + s` sits at (r, s).
public struct MeshLayout: Codable, Equatable, Sendable {
    public var replicate: Int
    public var shard: Int
    /// "single" (1x1), "replicate", "fsdp" or "hsdp" (`Mesh.Strategy`, lowercased).
    public var strategy: String

    public init(replicate: Int, shard: Int, strategy: String) {
        self.replicate = replicate; self.shard = shard; self.strategy = strategy
    }

    public var worldSize: Int { replicate * shard }
}

public struct ModelSummary: Codable, Equatable, Sendable {
    /// The flavor, e.g. "debugmodel".
    public var flavor: String
    public var dim: Int
    public var nLayers: Int
    public var nHeads: Int
    public var nKVHeads: Int
    public var vocabSize: Int
    /// Total parameters (6,139,136 for the debugmodel).
    public var parameters: Int

    public init(flavor: String, dim: Int, nLayers: Int, nHeads: Int, nKVHeads: Int, vocabSize: Int, parameters: Int) {
        self.flavor = flavor; self.dim = dim; self.nLayers = nLayers; self.nHeads = nHeads
        self.nKVHeads = nKVHeads; self.vocabSize = vocabSize; self.parameters = parameters
    }
}

/// The per-rank peak FLOP/s MFU is measured against, and where it came from (PeakInfo+Status).
public struct PeakInfo: Codable, Equatable, Sendable {
    public var flops: Double
    /// "given", "measured", "cached" or "raised" (`Metrics.PeakFlops.Source`).
    public var source: String
    /// How it was obtained, e.g. "sgemm 512x768x256 on one core x 1 thread(s), ...".
    public var detail: String
    /// Unix seconds when it was measured or raised; nil when given (and in older recordings).
    public var measuredAt: Double?
    /// The step that raised it (source "raised").
    public var raisedAtStep: Int?

    public init(flops: Double, source: String, detail: String, measuredAt: Double? = nil, raisedAtStep: Int? = nil) {
        self.flops = flops; self.source = source; self.detail = detail
        self.measuredAt = measuredAt; self.raisedAtStep = raisedAtStep
    }
}

public struct RankIdentity: Codable, Equatable, Sendable {
    public var rank: Int
    public var host: String
    public var pid: Int32
    /// Physical memory of the rank's host in bytes (the memory percentage's denominator); 0 if unknown.
    public var hostMemoryBytes: Int

    public init(rank: Int, host: String, pid: Int32, hostMemoryBytes: Int = 0) {
        self.rank = rank; self.host = host; self.pid = pid; self.hostMemoryBytes = hostMemoryBytes
    }
}

// MARK: - step

/// One optimizer step: the figures every rank agrees on, and what each rank measured.
public struct Step: Codable, Equatable, Sendable {
    /// 1-based, as torchtitan logs it.
    public var step: Int
    /// Mean token cross-entropy over every token of every rank.
    public var loss: Double
    /// Global L2 norm of the gradient before clipping.
    public var gradNorm: Double
    public var lr: Double
    /// Every rank's figures, in rank order.
    public var ranks: [RankStep]
    /// The peak now in force, when this step changed it (a step beat it); its MFUs are against it.
    public var peak: PeakInfo?

    public init(step: Int, loss: Double, gradNorm: Double, lr: Double, ranks: [RankStep], peak: PeakInfo? = nil) {
        self.step = step; self.loss = loss; self.gradNorm = gradNorm; self.lr = lr; self.ranks = ranks; self.peak = peak
    }
}

/// What one rank measured in one step (its host and pid are in `hello`).
public struct RankStep: Codable, Equatable, Sendable {
    public var rank: Int
    /// Tokens this rank processed in the step.
    public var tokens: Int
    public var seconds: StepSeconds
    /// Tokens per second of this rank (torchtitan's tps, per device).
    public var tokensPerSecond: Double
    /// Achieved model FLOP/s / 1e12.
    public var tflops: Double
    /// Model FLOPs utilisation in percent of the peak.
    public var mfu: Double
    /// Per collective kind ("all_reduce", "all_gather", "reduce_scatter").
    public var communication: [String: CollectiveFigures]
    /// Bytes allocated per memory category ("parameters", "gathered_parameters", "gradients",
    /// "optimizer", "activations", "communication", "scratch").
    public var memory: [String: Int]
    /// Resident set size now and its high-water mark, in bytes.
    public var residentBytes: Int
    public var peakResidentBytes: Int
    /// Seconds blocked per mesh axis ("world", "replicate", "shard") and collective ("all_gather",
    /// ...); absent in recordings made before it was sent.
    public var waits: [String: [String: Double]]?
    /// FLOPs the step's dense GEMMs executed (2mnk a call, every lane's); nil in older recordings.
    public var gemmFlops: Double?
    /// `mfu` as four factors (MFUSplitFigures); nil in older recordings and when no GEMM was timed.
    public var mfuSplit: MFUSplitFigures?
    /// This rank's own mean loss over its tokens (the step's `loss` is the ranks' mean): what
    /// torchtitan's `global_max_loss` is the largest of. nil in older recordings.
    public var loss: Double?

    public init(rank: Int, tokens: Int, seconds: StepSeconds, tokensPerSecond: Double, tflops: Double, mfu: Double,
                communication: [String: CollectiveFigures], memory: [String: Int], residentBytes: Int,
                peakResidentBytes: Int, gemmFlops: Double? = nil, mfuSplit: MFUSplitFigures? = nil,
                waits: [String: [String: Double]]? = nil, loss: Double? = nil) {
        self.rank = rank; self.tokens = tokens; self.seconds = seconds; self.tokensPerSecond = tokensPerSecond
        self.tflops = tflops; self.mfu = mfu; self.communication = communication; self.memory = memory
        self.residentBytes = residentBytes; self.peakResidentBytes = peakResidentBytes
        self.gemmFlops = gemmFlops; self.mfuSplit = mfuSplit; self.waits = waits; self.loss = loss
    }
}

/// Where one rank's MFU went (RunSpec.MFUSplit): `gemmOfPeak x inGemms x notWaiting x modelPerGemmFlop`
/// is `mfu / 100`. Fractions, not percentages.
public struct MFUSplitFigures: Codable, Equatable, Sendable {
    /// The dense GEMMs' FLOP/s (`gemmFlopsPerSecond`) over the peak.
    public var gemmOfPeak: Double
    /// The time in GEMMs (`seconds.gemm`) over the step's time not blocked on communication.
    public var inGemms: Double
    /// The step's time not blocked on communication over its wall time.
    public var notWaiting: Double
    /// The model FLOPs MFU counts over the FLOPs the GEMMs executed (`gemmFlops`).
    public var modelPerGemmFlop: Double
    /// The GEMMs' executed FLOPs over the lanes' mean time in them.
    public var gemmFlopsPerSecond: Double

    public init(gemmOfPeak: Double, inGemms: Double, notWaiting: Double, modelPerGemmFlop: Double,
                gemmFlopsPerSecond: Double) {
        self.gemmOfPeak = gemmOfPeak; self.inGemms = inGemms; self.notWaiting = notWaiting
        self.modelPerGemmFlop = modelPerGemmFlop; self.gemmFlopsPerSecond = gemmFlopsPerSecond
    }

    public init(_ split: MFUSplit) {
        self.init(gemmOfPeak: split.gemmOfPeak, inGemms: split.inGemms, notWaiting: split.notWaiting,
                  modelPerGemmFlop: split.modelPerGemmFlop, gemmFlopsPerSecond: split.gemmFlopsPerSecond)
    }
}

/// Where a step's wall time went, in seconds.
public struct StepSeconds: Codable, Equatable, Sendable {
    public var total: Double
    public var data: Double
    public var compute: Double
    public var communication: Double
    public var optimizer: Double
    /// Inside the dense GEMMs, part of `compute` (the lanes' mean); nil in older recordings.
    public var gemm: Double?

    public init(total: Double = 0, data: Double = 0, compute: Double = 0, communication: Double = 0,
                optimizer: Double = 0, gemm: Double? = nil) {
        self.total = total; self.data = data; self.compute = compute
        self.communication = communication; self.optimizer = optimizer; self.gemm = gemm
    }
}

/// One collective kind in one step of one rank.
public struct CollectiveFigures: Codable, Equatable, Sendable {
    /// Bytes this rank sent (ring volume).
    public var bytes: Int
    public var calls: Int
    /// Seconds blocked waiting for it (communication compute did not hide).
    public var waitSeconds: Double

    public init(bytes: Int, calls: Int, waitSeconds: Double) {
        self.bytes = bytes; self.calls = calls; self.waitSeconds = waitSeconds
    }
}

// MARK: - checkpoint, log, warning, error, done

public struct Checkpoint: Codable, Equatable, Sendable {
    /// The step the weights are from.
    public var step: Int
    /// Where they were written.
    public var path: String
    public var bytes: Int
    /// Wall time of gathering and writing.
    public var seconds: Double

    public init(step: Int, path: String, bytes: Int, seconds: Double) {
        self.step = step; self.path = path; self.bytes = bytes; self.seconds = seconds
    }
}

/// A line of torchtitan's log, as rank 0 printed it.
public struct LogLine: Codable, Equatable, Sendable {
    public var message: String
    /// The rank that logged it.
    public var rank: Int

    public init(message: String, rank: Int = 0) {
        self.message = message; self.rank = rank
    }
}

/// A warning or an error.
public struct Notice: Codable, Equatable, Sendable {
    public var message: String
    /// The rank it concerns, if one.
    public var rank: Int?
    /// The step it happened in, if one.
    public var step: Int?

    public init(message: String, rank: Int? = nil, step: Int? = nil) {
        self.message = message; self.rank = rank; self.step = step
    }
}

/// The last event of a run.
public struct Done: Codable, Equatable, Sendable {
    /// The exit status rank 0 is about to exit with (0: success).
    public var status: Int32
    /// completed, stopped (a stop command), failed or reconfigure; on the wire a string.
    public var reason: DoneReason
    public var summary: RunSummary

    public init(status: Int32, reason: DoneReason, summary: RunSummary) {
        self.status = status; self.reason = reason; self.summary = summary
    }
}

public struct RunSummary: Codable, Equatable, Sendable {
    /// Optimizer steps completed.
    public var steps: Int
    /// Tokens processed by every rank together.
    public var tokens: Int
    /// Wall time from the first step's start to the end.
    public var seconds: Double
    /// Loss of the last completed step (nil if none completed).
    public var finalLoss: Double?
    /// Mean over steps of the mean of the ranks' MFU, in percent (nil if no step).
    public var meanMFU: Double?

    public init(steps: Int, tokens: Int, seconds: Double, finalLoss: Double? = nil, meanMFU: Double? = nil) {
        self.steps = steps; self.tokens = tokens; self.seconds = seconds; self.finalLoss = finalLoss; self.meanMFU = meanMFU
    }
}
