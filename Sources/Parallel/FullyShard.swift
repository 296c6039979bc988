import Collectives
import Memory
import Model
import ModelShape

/// PyTorch's `fully_shard` on a mesh (1, S), and HSDP on (R, S). Each unit's parameters are
/// flattened, padded to a multiple of S and split evenly over the shard group; only the local
/// shard, its gradient and its optimizer state persist. A unit's parameters are all-gathered
/// before its forward (the next unit's gather is started meanwhile: prefetch), dropped after it
/// unless `reshardAfterForward` is off, and gathered again for its backward. Its gradient is
/// reduce-scattered as soon as its backward is done (blocking: Open MPI's non-blocking
/// reduce-scatter is a linear reduce that makes ranks other than 0 send the whole buffer, while
/// the blocking butterfly sends the (n-1)/n of theory; it takes ~1 ms a unit here). With R > 1
/// each unit's gradient shard is then all-reduced across the replicate group, started (non-blocking)
/// as soon as its reduce-scatter is done in the last micro-batch, so it travels while the rest of
/// the backward runs (the next units' MPI calls move it on), and waited for after the backward.
public final class FullyShard: DataParallel {
    /// Where one unit lives: in the full layout, padded, and in this rank's shard buffer.
    struct UnitShard {
        let full: Range<Int>
        let padded: Int
        let shardCount: Int
        let shardOffset: Int
    }

    private let model: Llama
    private let shardGroup: Communicator
    private let replicateGroup: Communicator
    private let reshardAfterForward: Bool
    let units: [UnitShard]

    public let parameters: UnsafeMutableBufferPointer<Float>
    public let gradients: UnsafeMutableBufferPointer<Float>
    /// Gathered parameters: two rotating slots (current + prefetch) or, without resharding, one per unit.
    private let slots: [UnsafeMutableBufferPointer<Float>]
    private var slotHolds: [Int?]
    private var gathers: [Int: Pending] = [:]
    /// A unit's full gradient while its backward runs, and its reduce-scattered shard.
    private let gradientStaging: UnsafeMutableBufferPointer<Float>
    private let scatterStaging: UnsafeMutableBufferPointer<Float>
    /// Where the replicate group's sums of the gradient shards arrive (empty without replicas):
    /// out of place, as Replicate's, so Open MPI can run its ring.
    private let replicaSums: UnsafeMutableBufferPointer<Float>
    /// The units' all-reduces across the replicas still in flight, in the order they started.
    private var replicaReductions: [(unit: Int, pending: Pending)] = []
    private var microBatches = 1
    private var isLastMicroBatch = true
    private var failure: Error?
    public private(set) var communication = CommunicationStats()

    public init(model: Llama, shardGroup: Communicator, replicateGroup: Communicator, ledger: MemoryLedger,
                reshardAfterForward: Bool = true) {
        self.model = model
        self.shardGroup = shardGroup
        self.replicateGroup = replicateGroup
        self.reshardAfterForward = reshardAfterForward
        let s = shardGroup.size
        var offset = 0
        units = model.layout.units.map { unit in
            let padded = (unit.range.count + s - 1) / s * s
            defer { offset += padded / s }
            return UnitShard(full: unit.range, padded: padded, shardCount: padded / s, shardOffset: offset)
        }
        parameters = ledger.allocate(Float.self, count: offset, category: .parameters, label: "fsdp.shard.parameters")
        gradients = ledger.allocate(Float.self, count: offset, category: .gradients, label: "fsdp.shard.gradients")
        let largest = units.map(\.padded).max() ?? 0
        let slotSizes = reshardAfterForward ? [largest, largest] : units.map(\.padded)
        slots = slotSizes.enumerated().map { i, n in
            ledger.allocate(Float.self, count: n, category: .gatheredParameters, label: "fsdp.gathered.\(i)")
        }
        slotHolds = Array(repeating: nil, count: slots.count)
        let largestShard = units.map(\.shardCount).max() ?? 0
        gradientStaging = ledger.allocate(Float.self, count: largest, category: .communication,
                                          label: "fsdp.unit_gradient")
        scatterStaging = ledger.allocate(Float.self, count: largestShard, category: .communication,
                                         label: "fsdp.scattered")
        replicaSums = ledger.allocate(Float.self, count: replicateGroup.size > 1 ? offset : 0, category: .communication,
                                      label: "hsdp.replica_sums")
    }

    // MARK: set-up

    /// Keeps this rank's shard of a full flat parameter vector (the model layout).
    public func loadShard(from full: UnsafeBufferPointer<Float>) {
        let me = shardGroup.rank
        for unit in units {
            let shard = UnsafeMutableBufferPointer(rebasing: parameters[unit.shardOffset ..< unit.shardOffset + unit.shardCount])
            for i in 0..<unit.shardCount {
                let position = me * unit.shardCount + i  // index within the padded unit
                shard[i] = position < unit.full.count ? full[unit.full.lowerBound + position] : 0
            }
        }
        slotHolds = slotHolds.map { _ in nil }
    }

    public var pieces: [CanonicalPiece] {
        Self.pieces(layout: model.layout, shard: shardGroup.rank, of: shardGroup.size)
    }

    /// Shard `s` of `S` holds elements `[s*C, (s+1)*C)` of each unit padded to a multiple of S
    /// (C = padded / S), the units one after another; the part past the unit's end is padding.
    public static func pieces(layout: ParameterLayout, shard s: Int, of shardCount: Int) -> [CanonicalPiece] {
        var offset = 0
        var pieces: [CanonicalPiece] = []
        for unit in layout.units {
            let n = unit.range.count
            let c = (n + shardCount - 1) / shardCount
            let start = min(s * c, n), end = min((s + 1) * c, n)
            if start < end {
                pieces.append(CanonicalPiece(local: offset, full: unit.range.lowerBound + start ..< unit.range.lowerBound + end))
            }
            offset += c
        }
        return pieces
    }

    public func gatherFullParameters(into full: UnsafeMutableBufferPointer<Float>) throws {
        for (index, unit) in units.enumerated() {
            let slot = slotIndex(index)
            try shardGroup.allGather(send: UnsafeBufferPointer(shard(of: unit)),
                                     receive: UnsafeMutableBufferPointer(rebasing: slots[slot][0..<unit.padded]))
            slotHolds[slot] = index
            full.baseAddress!.advanced(by: unit.full.lowerBound).update(from: slots[slot].baseAddress!, count: unit.full.count)
        }
    }

    // MARK: the step

    public func startStep(microBatches: Int) {
        self.microBatches = microBatches
        communication = CommunicationStats()
        for i in gradients.indices { gradients[i] = 0 }
        // The optimizer changed the shards: every gathered copy is stale.
        slotHolds = slotHolds.map { _ in nil }
    }

    public func startMicroBatch(_ index: Int) {
        isLastMicroBatch = index == microBatches - 1
    }

    public func willForward(unit: Int) {
        attempt {
            try ensureGathered(unit)
            bind(unit)
            if unit + 1 < units.count { try startGather(unit + 1) }
        }
    }

    public func didForward(unit: Int) {}

    public func willBackward(unit: Int) {
        attempt {
            progress()
            try ensureGathered(unit)
            for i in 0..<units[unit].padded { gradientStaging[i] = 0 }
            bind(unit)
            if unit > 0 { try startGather(unit - 1) }
        }
    }

    public func didBackward(unit: Int) {
        attempt {
            let u = units[unit]
            let start = monotonicSeconds()
            try shardGroup.reduceScatter(send: UnsafeBufferPointer(rebasing: gradientStaging[0..<u.padded]),
                                         receive: UnsafeMutableBufferPointer(rebasing: scatterStaging[0..<u.shardCount]),
                                         op: .sum)
            communication.waitSeconds[.reduceScatter, default: 0] += monotonicSeconds() - start
            communication.record(.reduceScatter, bufferBytes: u.padded * 4, ranks: shardGroup.size)
            let range = u.shardOffset ..< u.shardOffset + u.shardCount
            let target = UnsafeMutableBufferPointer(rebasing: gradients[range])
            for i in 0..<u.shardCount { target[i] += scatterStaging[i] }
            // The shard is final once the last micro-batch added to it (gradients accumulate
            // locally before, as PyTorch's no_sync).
            guard isLastMicroBatch, replicateGroup.size > 1 else { return }
            let request = try replicateGroup.startAllReduce(send: UnsafeBufferPointer(target),
                                                            receive: UnsafeMutableBufferPointer(rebasing: replicaSums[range]),
                                                            op: .sum)
            replicaReductions.append((unit, Pending(kind: .allReduce, request: request)))
            communication.record(.allReduce, bufferBytes: u.shardCount * 4, ranks: replicateGroup.size)
        }
    }

    public func finishGradients() throws {
        let reductions = replicaReductions
        replicaReductions.removeAll()
        // Every started call is waited for, even after a failure: its buffers must not be reused under it.
        for (unit, pending) in reductions {
            do { try communication.wait(pending) } catch { if failure == nil { failure = error } }
            let u = units[unit]
            let range = u.shardOffset ..< u.shardOffset + u.shardCount
            gradients.baseAddress!.advanced(by: range.lowerBound).update(from: replicaSums.baseAddress!.advanced(by: range.lowerBound),
                                                                        count: range.count)
        }
        if let failure { self.failure = nil; throw failure }
        scale(gradients, by: 1 / Float(shardGroup.size * replicateGroup.size))
    }

    public func globalSumOfSquares(local: Double) throws -> Double {
        // Replicas hold equal shards: summing over the shard group covers the whole model once.
        try shardGroup.allReduce([local], op: .sum)[0]
    }

    // MARK: helpers

    private func slotIndex(_ unit: Int) -> Int { reshardAfterForward ? unit % 2 : unit }

    private func shard(of unit: UnitShard) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: parameters[unit.shardOffset ..< unit.shardOffset + unit.shardCount])
    }

    private func startGather(_ unit: Int) throws {
        let slot = slotIndex(unit)
        guard slotHolds[slot] != unit else { return }  // already there, or on its way
        let u = units[unit]
        gathers[unit] = Pending(kind: .allGather, request: try shardGroup.startAllGather(
            send: UnsafeBufferPointer(shard(of: u)), receive: UnsafeMutableBufferPointer(rebasing: slots[slot][0..<u.padded])))
        slotHolds[slot] = unit
        communication.record(.allGather, bufferBytes: u.padded * 4, ranks: shardGroup.size)
    }

    private func ensureGathered(_ unit: Int) throws {
        try startGather(unit)
        if let pending = gathers.removeValue(forKey: unit) { try communication.wait(pending) }
    }

    private func bind(_ unit: Int) {
        model.bind(unit: unit, parameters: slots[slotIndex(unit)].baseAddress!,
                   gradients: gradientStaging.baseAddress!)
    }

    /// Open MPI moves non-blocking collectives on only inside MPI calls: give it the chance.
    public func progress() {
        for p in gathers.values { _ = try? p.request.test() }
        for r in replicaReductions { _ = try? r.pending.request.test() }
    }

    /// Hooks cannot throw: the first failure is kept and thrown by `finishGradients`.
    private func attempt(_ body: () throws -> Void) {
        guard failure == nil else { return }
        do { try body() } catch { failure = error }
    }
}
