import Foundation
import ModelShape
import RunSpec

/// The three flat vectors a checkpoint holds, each in the model's full (canonical) layout.
public enum CheckpointVector: String, Codable, CaseIterable, Sendable {
    case params
    case expAvg = "exp_avg"
    case expAvgSq = "exp_avg_sq"
}

/// `manifest.json`: what a checkpoint folder holds and how to put it back on any mesh.
/// Written last (by rank 0), so a folder with a manifest under its final name is complete.
public struct CheckpointManifest: Codable, Equatable, Sendable {
    public static let formatName = "meshtop-checkpoint"
    public static let currentVersion = 1
    public static let fileName = "manifest.json"

    public var format = CheckpointManifest.formatName
    public var formatVersion = CheckpointManifest.currentVersion
    /// Optimizer steps completed; training resumes with step + 1 (1-based, as logged).
    public var step: Int
    /// The mesh it was written on (informative: it can be read on any mesh).
    public var mesh: MeshRecord
    public var worldSize: Int
    public var run: RunRecord
    /// Elements of each flat vector (the model's parameter count).
    public var parameterCount: Int
    public var files: [FileRecord]
    public var pieces: [PieceRecord]

    public init(step: Int, mesh: MeshRecord, worldSize: Int, run: RunRecord, parameterCount: Int,
                files: [FileRecord], pieces: [PieceRecord]) {
        self.step = step
        self.mesh = mesh
        self.worldSize = worldSize
        self.run = run
        self.parameterCount = parameterCount
        self.files = files
        self.pieces = pieces
    }

    public struct MeshRecord: Codable, Equatable, Sendable {
        public var dpReplicate: Int
        public var dpShard: Int
        public init(dpReplicate: Int, dpShard: Int) {
            self.dpReplicate = dpReplicate
            self.dpShard = dpShard
        }
        public var description: String { "\(dpReplicate)x\(dpShard)" }
    }

    /// A data file of the checkpoint: its name inside the folder, size and SHA-256 (hex).
    public struct FileRecord: Codable, Equatable, Sendable {
        public var name: String
        public var bytes: Int
        public var sha256: String
        public init(name: String, bytes: Int, sha256: String) {
            self.name = name
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    /// Elements `start ..< end` of `vector` are the 1-D F32 tensor `tensor` of `file`.
    public struct PieceRecord: Codable, Equatable, Sendable {
        public var vector: CheckpointVector
        public var tensor: String
        public var file: String
        public var start: Int
        public var end: Int
        public init(vector: CheckpointVector, tensor: String, file: String, start: Int, end: Int) {
            self.vector = vector
            self.tensor = tensor
            self.file = file
            self.start = start
            self.end = end
        }
        public var range: Range<Int> { start ..< end }
    }
}

/// What a run needs besides the tensors to continue exactly: model, schedule, batch, optimizer
/// hyper-parameters and step count, the data position and the seed. The trainer fills it.
public struct RunRecord: Codable, Equatable, Sendable {
    public var flavor: String
    public var model: ModelConfig
    /// AdamW's step count (bias correction); equals the checkpoint's step.
    public var optimizerStepCount: Int
    public var lr: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float
    public var steps: Int
    public var warmupSteps: Int
    public var decayRatio: Double?
    public var minLRFactor: Double
    public var maxNorm: Double
    public var seqLen: Int
    public var localBatchSize: Int
    public var gradAccum: Int
    /// Sequences per optimizer step over the whole job (B x A x world): with the step it fixes
    /// which tokens come next (the batch plan is a pure function of step and this number).
    public var sequencesPerStep: Int
    /// 0-based index of the next step's batch (= step).
    public var nextDataStep: Int
    /// The initialisation seed. Training draws no random numbers after initialisation, so this is
    /// the whole random state.
    public var seed: UInt64
    public var dataPath: String
    public var tokenizerPath: String

    public init(flavor: String, model: ModelConfig, optimizerStepCount: Int, lr: Float, beta1: Float, beta2: Float,
                eps: Float, weightDecay: Float, steps: Int, warmupSteps: Int, decayRatio: Double?, minLRFactor: Double,
                maxNorm: Double, seqLen: Int, localBatchSize: Int, gradAccum: Int, sequencesPerStep: Int,
                nextDataStep: Int, seed: UInt64, dataPath: String, tokenizerPath: String) {
        self.flavor = flavor; self.model = model; self.optimizerStepCount = optimizerStepCount
        self.lr = lr; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        self.steps = steps; self.warmupSteps = warmupSteps; self.decayRatio = decayRatio; self.minLRFactor = minLRFactor
        self.maxNorm = maxNorm; self.seqLen = seqLen; self.localBatchSize = localBatchSize; self.gradAccum = gradAccum
        self.sequencesPerStep = sequencesPerStep; self.nextDataStep = nextDataStep; self.seed = seed
        self.dataPath = dataPath; self.tokenizerPath = tokenizerPath
    }

    /// Fields (as named in the manifest) whose values differ between two records, with both
    /// values; `model` is compared field by field (`model.dim`, ...). The step-dependent fields
    /// (optimizerStepCount, nextDataStep) are left out.
    public func differences(from other: RunRecord) -> [(field: String, here: String, there: String)] {
        var out: [(String, String, String)] = []
        let a = Self.flatten(self), b = Self.flatten(other)
        for key in Set(a.keys).union(b.keys).sorted()
        where !["optimizerStepCount", "nextDataStep"].contains(key) && a[key] != b[key] {
            out.append((key, a[key] ?? "none", b[key] ?? "none"))
        }
        return out
    }

    /// The record as `field: value text`, nested objects as `outer.inner`.
    static func flatten(_ record: RunRecord) -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let data = try? encoder.encode(record),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var out: [String: String] = [:]
        func add(_ prefix: String, _ value: Any) {
            if let nested = value as? [String: Any] {
                for (k, v) in nested { add(prefix.isEmpty ? k : prefix + "." + k, v) }
            } else {
                out[prefix] = "\(value)"
            }
        }
        add("", object)
        return out
    }
}

extension CheckpointManifest {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public func encoded() throws -> Data { try Self.encoder().encode(self) }
}
