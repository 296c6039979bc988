import ModelShape
import RunSpec

/// The bytes one rank sends per optimizer step, by collective kind, exactly as Replicate and
/// FullyShard record them: each call's ring volume (CollectiveKind.bytesSent) on the buffer it
/// moves, summed over the calls of one step. The calls are found by replaying the strategies'
/// decisions (buckets; which gathered slot holds which unit) without running them.
public struct CollectiveTraffic: Equatable, Sendable {
    public var bytes: [CollectiveKind: Int] = [:]
    public var calls: [CollectiveKind: Int] = [:]

    public init() {}

    public var totalBytes: Int { bytes.values.reduce(0, +) }

    mutating func record(_ kind: CollectiveKind, bufferBytes: Int, ranks: Int) {
        guard ranks > 1 else { return }
        bytes[kind, default: 0] += kind.bytesSent(buffer: bufferBytes, ranks: ranks)
        calls[kind, default: 0] += 1
    }
}

/// One collective call of a step: what it moves and over which of the mesh's groups.
public struct CollectiveCall: Equatable, Sendable {
    public enum Groups: Equatable, Sendable {
        /// Each column: the ranks holding the same shard (all ranks under replicate).
        case replicate
        /// Each row: the ranks sharding one replica.
        case shard
    }

    public let kind: CollectiveKind
    public let bufferBytes: Int
    public let ranks: Int
    public let over: Groups
    /// Blocking (Open MPI's tuned algorithms) or started and waited for (libnbc's).
    public let blocking: Bool

    public init(kind: CollectiveKind, bufferBytes: Int, ranks: Int, over: Groups, blocking: Bool) {
        self.kind = kind; self.bufferBytes = bufferBytes; self.ranks = ranks; self.over = over; self.blocking = blocking
    }
}

/// One thing a rank does in a step, in the order the strategies' hooks do it: the compute of a
/// unit's forward or backward, a collective started (and waited for later) or a blocking one,
/// and the tests of started ones a hook makes (`progress`: Open MPI moves a started collective
/// on only inside an MPI call). `call` indexes `CallLog.calls`.
public enum StepEvent: Equatable, Sendable {
    case forward(unit: Int)
    case backward(unit: Int)
    case start(call: Int)
    case progress
    case wait(call: Int)
    case blocking(call: Int)
}

/// The calls of one step, in order, as the strategies make them, and the step's events around
/// them (what the time model replays).
struct CallLog {
    var calls: [CollectiveCall] = []
    var events: [StepEvent] = []
    let over: CollectiveCall.Groups
    let blocking: Bool

    /// Records a call; a started one is waited for by `wait(_:)` with the index this returns.
    @discardableResult
    mutating func record(_ kind: CollectiveKind, bufferBytes: Int, ranks: Int, over groups: CollectiveCall.Groups? = nil,
                         blocking isBlocking: Bool? = nil) -> Int? {
        guard ranks > 1 else { return nil }
        let call = CollectiveCall(kind: kind, bufferBytes: bufferBytes, ranks: ranks, over: groups ?? over,
                                  blocking: isBlocking ?? blocking)
        calls.append(call)
        events.append(call.blocking ? .blocking(call: calls.count - 1) : .start(call: calls.count - 1))
        return calls.count - 1
    }

    mutating func wait(_ call: Int?) { if let call { events.append(.wait(call: call)) } }
    mutating func compute(_ event: StepEvent) { events.append(event) }
}

public enum CommunicationPrediction {
    public static func perStep(_ workload: Workload, mesh: MeshShape) -> CollectiveTraffic {
        var traffic = CollectiveTraffic()
        for call in calls(workload, mesh: mesh) { traffic.record(call.kind, bufferBytes: call.bufferBytes, ranks: call.ranks) }
        return traffic
    }

    /// Every collective call of one optimizer step.
    public static func calls(_ workload: Workload, mesh: MeshShape) -> [CollectiveCall] { log(workload, mesh: mesh).calls }

    /// The calls of one step and the events around them.
    static func log(_ workload: Workload, mesh: MeshShape) -> CallLog {
        let layout = ParameterLayout(config: workload.model)
        return mesh.shard > 1
            ? fullyShard(UnitShards(layout: layout, shards: mesh.shard), workload: workload, replicas: mesh.replicate)
            : replicate(layout, workload: workload, ranks: mesh.replicate)
    }

    /// Replicate: one all-reduce per bucket, in the last micro-batch only (no_sync before it),
    /// started as each bucket fills (libnbc) and waited for after the backward. Buckets close,
    /// from the last unit down, once they reach `bucketBytes`, and at unit 0.
    static func replicate(_ layout: ParameterLayout, workload: Workload, ranks: Int) -> CallLog {
        var traffic = CallLog(over: .replicate, blocking: false)
        var started: [Int?] = []
        for microBatch in 0..<workload.gradAccum {
            for unit in layout.units.indices { traffic.compute(.forward(unit: unit)) }
            var bucket = 0
            for unit in layout.units.indices.reversed() {
                traffic.compute(.progress)  // willBackward tests the buckets in flight
                traffic.compute(.backward(unit: unit))
                guard microBatch == workload.gradAccum - 1 else { continue }
                bucket += layout.units[unit].range.count * MemoryPrediction.float
                if bucket >= workload.bucketBytes || unit == 0 {
                    started.append(traffic.record(.allReduce, bufferBytes: bucket, ranks: ranks))
                    bucket = 0
                }
            }
        }
        started.forEach { traffic.wait($0) }
        return traffic
    }

    /// FullyShard: all-gathers replayed over its slots (a gather is skipped when the slot already
    /// holds the unit), a reduce-scatter per unit per micro-batch, and with replicas an all-reduce
    /// of each unit's gradient shard, started after its reduce-scatter in the last micro-batch and
    /// waited for after the backward.
    static func fullyShard(_ units: UnitShards, workload: Workload, replicas: Int) -> CallLog {
        // Gathers and the replicas' all-reduces are started ahead (libnbc); reduce-scatters block (tuned).
        var traffic = CallLog(over: .shard, blocking: true)
        let count = units.padded.count
        let reshard = workload.reshardAfterForward
        var slotHolds = [Int?](repeating: nil, count: reshard ? 2 : count)  // cleared at the start of a step
        var pending: [Int: Int] = [:]  // unit -> its gather still in flight
        func gather(_ unit: Int) {
            let slot = reshard ? unit % 2 : unit
            guard slotHolds[slot] != unit else { return }
            slotHolds[slot] = unit
            pending[unit] = traffic.record(.allGather, bufferBytes: units.padded[unit] * MemoryPrediction.float,
                                           ranks: units.shards, blocking: false)
        }
        func ensureGathered(_ unit: Int) {
            gather(unit)
            traffic.wait(pending.removeValue(forKey: unit))
        }
        var replicaSums: [Int?] = []
        for microBatch in 0..<workload.gradAccum {
            for unit in 0..<count {            // forward, prefetching the next unit
                ensureGathered(unit)
                if unit + 1 < count { gather(unit + 1) }
                traffic.compute(.progress)         // the unit's kernels test the calls in flight (StepHooks.progress)
                traffic.compute(.forward(unit: unit))
            }
            for unit in (0..<count).reversed() { // backward, prefetching the previous unit
                traffic.compute(.progress)         // willBackward tests the gathers in flight
                ensureGathered(unit)
                if unit > 0 { gather(unit - 1) }
                traffic.compute(.backward(unit: unit))
                traffic.record(.reduceScatter, bufferBytes: units.padded[unit] * MemoryPrediction.float,
                               ranks: units.shards)
                guard microBatch == workload.gradAccum - 1 else { continue }
                replicaSums.append(traffic.record(.allReduce, bufferBytes: units.padded[unit] / units.shards * MemoryPrediction.float,
                                                  ranks: replicas, over: .replicate, blocking: false))
            }
        }
        replicaSums.forEach { traffic.wait($0) }
        return traffic
    }
}
