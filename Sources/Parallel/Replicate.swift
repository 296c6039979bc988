import Collectives
import Memory
import Model
import ModelShape

/// PyTorch's `replicate` on a mesh (R, 1): every rank holds the whole model, and gradients are
/// averaged across the replicate group by all-reduces in buckets. Each bucket is a contiguous run
/// of units, started (non-blocking) as soon as the backward pass has finished its lowest unit, so
/// it travels while the backward goes on. The all-reduce is out of place, into a communication
/// buffer the size of the gradients: Open MPI then runs the bandwidth-optimal ring instead of
/// recursive doubling, and the averaging is folded into the copy back.
public final class Replicate: DataParallel {
    private let model: Llama
    private let group: Communicator
    /// Flat ranges of the gradient, in the order the backward pass completes them.
    let buckets: [Range<Int>]
    /// The bucket whose last unit is `unit`, if any.
    private let bucketCompletedBy: [Int?]
    /// Where the buckets' sums arrive (empty on a world of one).
    private let reduced: UnsafeMutableBufferPointer<Float>
    private var pending: [(bucket: Int, pending: Pending)] = []
    private var microBatches = 1
    private var isLastMicroBatch = true
    private var failure: Error?
    public private(set) var communication = CommunicationStats()

    public init(model: Llama, group: Communicator, bucketBytes: Int, ledger: MemoryLedger) {
        self.model = model
        self.group = group
        reduced = ledger.allocate(Float.self, count: group.size > 1 ? model.layout.count : 0, category: .communication,
                                  label: "replicate.reduced_gradients")
        let units = model.layout.units
        var buckets: [Range<Int>] = []
        var completedBy = [Int?](repeating: nil, count: units.count)
        var upper = units.last?.range.upperBound ?? 0
        var bytes = 0
        for unit in units.indices.reversed() {
            bytes += units[unit].range.count * MemoryLayout<Float>.stride
            if bytes >= bucketBytes || unit == 0 {
                completedBy[unit] = buckets.count
                buckets.append(units[unit].range.lowerBound ..< upper)
                upper = units[unit].range.lowerBound
                bytes = 0
            }
        }
        self.buckets = buckets
        bucketCompletedBy = completedBy
    }

    public var parameters: UnsafeMutableBufferPointer<Float> { model.parameters }
    public var gradients: UnsafeMutableBufferPointer<Float> { model.gradients }

    public func startStep(microBatches: Int) {
        self.microBatches = microBatches
        model.zeroGradients()
        communication = CommunicationStats()
    }

    public func startMicroBatch(_ index: Int) {
        isLastMicroBatch = index == microBatches - 1
    }

    /// Its hooks only start and poll all-reduces of finished gradients: lanes need not wait for them.
    public var changesBindings: Bool { false }
    public func willForward(unit: Int) {}
    public func didForward(unit: Int) {}

    public func willBackward(unit: Int) { progress() }

    /// Open MPI moves non-blocking collectives on only inside MPI calls: give it the chance.
    public func progress() {
        for p in pending { _ = try? p.pending.request.test() }
    }

    public func didBackward(unit: Int) {
        // Gradients accumulate locally until the last micro-batch (PyTorch's no_sync).
        guard isLastMicroBatch, group.size > 1, failure == nil, let bucket = bucketCompletedBy[unit] else { return }
        let range = buckets[bucket]
        do {
            let request = try group.startAllReduce(send: UnsafeBufferPointer(rebasing: gradients[range]),
                                                   receive: UnsafeMutableBufferPointer(rebasing: reduced[range]), op: .sum)
            pending.append((bucket, Pending(kind: .allReduce, request: request)))
            communication.record(.allReduce, bufferBytes: range.count * 4, ranks: group.size)
        } catch {
            failure = error
        }
    }

    public func finishGradients() throws {
        defer { pending.removeAll() }
        let average = 1 / Float(group.size)
        for (bucket, p) in pending {
            try communication.wait(p)
            for i in buckets[bucket] { gradients[i] = reduced[i] * average }
        }
        if let failure { throw failure }
    }

    public func globalSumOfSquares(local: Double) throws -> Double { local }

    public var pieces: [CanonicalPiece] { [CanonicalPiece(local: 0, full: 0 ..< parameters.count)] }

    public func gatherFullParameters(into full: UnsafeMutableBufferPointer<Float>) throws {
        precondition(full.count == parameters.count)
        full.baseAddress!.update(from: parameters.baseAddress!, count: parameters.count)
    }
}

@inline(__always)
func scale(_ buffer: UnsafeMutableBufferPointer<Float>, by factor: Float) {
    for i in buffer.indices { buffer[i] *= factor }
}
