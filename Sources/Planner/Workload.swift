import ModelShape
import RunSpec

/// What a prediction is computed from: the model, the batch of one rank, and the two options of
/// the data-parallel strategies that change memory or traffic. Mirrors meshtop-rank's options.
public struct Workload: Equatable, Sendable {
    public var model: ModelConfig
    /// Sequences per rank per micro-batch (--local-batch-size).
    public var localBatchSize: Int
    /// Tokens per sequence (--seq-len).
    public var seqLen: Int
    /// Micro-batches per optimizer step (--grad-accum).
    public var gradAccum: Int
    /// Replicate's all-reduce bucket size in bytes (--bucket-mb times 2^20, as the trainer rounds it).
    public var bucketBytes: Int
    /// FSDP/HSDP: drop a unit's gathered parameters after its forward (--no-reshard-after-forward is false).
    public var reshardAfterForward: Bool
    /// Compute threads per rank (--threads): the model runs that many lanes, each with its own buffers.
    public var threads: Int

    public init(model: ModelConfig, localBatchSize: Int = 8, seqLen: Int = 256, gradAccum: Int = 1,
                bucketMB: Double = 4, reshardAfterForward: Bool = true, threads: Int = 1) {
        self.model = model
        self.localBatchSize = localBatchSize
        self.seqLen = seqLen
        self.gradAccum = gradAccum
        self.bucketBytes = Int(bucketMB * 1_048_576)
        self.reshardAfterForward = reshardAfterForward
        self.threads = threads
    }

    /// The model's lanes (Llama.laneCount) and the sequences of each.
    public var laneBatchSizes: [Int] {
        ModelSizes.laneBatchSizes(lanes: ModelSizes.laneCount(threads: threads, batchSize: localBatchSize), batchSize: localBatchSize)
    }

    /// Tokens of one micro-batch on one rank.
    public var tokensPerMicroBatch: Int { localBatchSize * seqLen }

    /// Refuses what a rank would refuse, naming the option and the value.
    public func validate() throws {
        try model.validate()
        func require(_ ok: Bool, _ message: String) throws {
            if !ok { throw PlanError(message) }
        }
        try require(localBatchSize >= 1, "--local-batch-size \(localBatchSize): must be at least 1")
        try require(seqLen >= 1, "--seq-len \(seqLen): must be at least 1")
        try require(seqLen <= model.maxSeqLen, "--seq-len \(seqLen): exceeds the model's max_seq_len \(model.maxSeqLen)")
        try require(gradAccum >= 1, "--grad-accum \(gradAccum): must be at least 1")
        try require(bucketBytes > 0, "--bucket-mb: must be positive")
        try require(threads >= 1, "--threads \(threads): must be at least 1")
    }
}

public struct PlanError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
