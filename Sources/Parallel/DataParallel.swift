import Collectives
// CollectiveKind is RunSpec's (the dashboard reads it without MPI); importers see it here.
@_exported import RunSpec
import Model
import ModelShape

/// One of PyTorch's data-parallel styles on the [dp_replicate, dp_shard] mesh. It owns what this
/// rank's optimizer updates and, through the model's unit hooks, moves parameters and gradients
/// between ranks at the right moments of the step.
public protocol DataParallel: StepHooks {
    /// The parameters this rank updates: the whole model (replicate) or its shard (FSDP/HSDP).
    var parameters: UnsafeMutableBufferPointer<Float> { get }
    /// Their gradients; after `finishGradients` the average over every data-parallel rank.
    var gradients: UnsafeMutableBufferPointer<Float> { get }

    /// Before the first micro-batch of a step.
    func startStep(microBatches: Int)
    /// Before micro-batch `index`'s forward.
    func startMicroBatch(_ index: Int)
    /// After the last backward: waits for all communication and averages the gradients.
    func finishGradients() throws
    /// The global L2 norm squared from this rank's sum of squares of `gradients`.
    func globalSumOfSquares(local: Double) throws -> Double
    /// Writes the full flat parameter vector (the model layout) into `full`. Collective.
    func gatherFullParameters(into full: UnsafeMutableBufferPointer<Float>) throws
    /// What communication cost in the current step.
    var communication: CommunicationStats { get }
    /// Where `parameters` (and the optimizer state beside them) sit in the full flat layout;
    /// local elements outside every piece are padding (zero). Checkpoints save and load by these.
    var pieces: [CanonicalPiece] { get }
}

/// Per-step communication of one rank, by collective kind.
public struct CommunicationStats: Codable, Equatable, Sendable {
    public var bytes: [CollectiveKind: Int] = [:]
    public var calls: [CollectiveKind: Int] = [:]
    /// Time spent blocked in `wait` (communication that compute did not hide).
    public var waitSeconds: [CollectiveKind: Double] = [:]

    public init() {}

    public var totalWaitSeconds: Double { waitSeconds.values.reduce(0, +) }

    mutating func record(_ kind: CollectiveKind, bufferBytes: Int, ranks: Int) {
        guard ranks > 1 else { return }
        bytes[kind, default: 0] += kind.bytesSent(buffer: bufferBytes, ranks: ranks)
        calls[kind, default: 0] += 1
    }
}

/// A collective in flight, remembered with its kind so waiting on it is timed.
struct Pending {
    let kind: CollectiveKind
    let request: CollectiveRequest
}

extension CommunicationStats {
    /// Waits for `pending`, adding the blocked time to its kind.
    mutating func wait(_ pending: Pending) throws {
        let start = monotonicSeconds()
        try pending.request.wait()
        waitSeconds[pending.kind, default: 0] += monotonicSeconds() - start
    }
}
