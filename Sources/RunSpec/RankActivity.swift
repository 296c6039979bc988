// What a rank is doing right now, as its heartbeat tells the front end (docs/telemetry.md,
// "Heartbeats"): plain values, so the ranks fill them and the dashboard reads them without MPI.

/// The part of the step a rank is in.
public enum RankPhase: UInt8, CaseIterable, Codable, Sendable, CustomStringConvertible {
    /// Before the first step: building the model, measuring the peak, resuming.
    case starting = 0
    case data, forward, backward, optimizer, checkpoint
    /// Between steps, or after the last one.
    case idle

    public var description: String {
        switch self {
        case .starting: "starting"
        case .data: "data"
        case .forward: "forward"
        case .backward: "backward"
        case .optimizer: "optimizer"
        case .checkpoint: "checkpoint"
        case .idle: "idle"
        }
    }
}

/// The communicator a collective runs on: every rank, or this rank's column or row of the mesh.
public enum MeshAxis: UInt8, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case world = 0
    /// Ranks with the same shard index (a column), one per replica.
    case replicate
    /// Ranks with the same replica (a row), one per shard.
    case shard

    public var description: String {
        switch self {
        case .world: "world"
        case .replicate: "replicate group"
        case .shard: "shard group"
        }
    }

    /// Its key on the wire and in files: world, replicate, shard.
    public var name: String {
        switch self {
        case .world: "world"
        case .replicate: "replicate"
        case .shard: "shard"
        }
    }

    /// Which group of this axis the rank at `coordinates` belongs to: the column for replicate,
    /// the row for shard, 0 for the world.
    public func group(of coordinates: (replicate: Int, shard: Int)) -> Int {
        switch self {
        case .world: 0
        case .replicate: coordinates.shard
        case .shard: coordinates.replicate
        }
    }
}

/// Every collective a rank issues, data parallelism's three and the bookkeeping ones.
public enum CollectiveOperation: UInt8, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case allReduce = 0, allGather, reduceScatter, broadcast, gather, barrier

    /// Its key on the wire and in files, as `CollectiveKind`'s: all_reduce, all_gather, ...
    public var name: String {
        switch self {
        case .allReduce: "all_reduce"
        case .allGather: "all_gather"
        case .reduceScatter: "reduce_scatter"
        case .broadcast: "broadcast"
        case .gather: "gather"
        case .barrier: "barrier"
        }
    }

    public var description: String {
        switch self {
        case .allReduce: "all-reduce"
        case .allGather: "all-gather"
        case .reduceScatter: "reduce-scatter"
        case .broadcast: "broadcast"
        case .gather: "gather"
        case .barrier: "barrier"
        }
    }
}

/// One collective call on one communicator. Every rank of a group issues the group's calls in
/// the same order (MPI requires it), so `sequence` names the same call on each of them.
public struct CollectiveCall: Equatable, Sendable {
    public var operation: CollectiveOperation
    public var axis: MeshAxis
    /// Which group of `axis` (MeshAxis.group(of:)).
    public var group: Int
    /// 1 for the communicator's first call, then one more per call.
    public var sequence: Int
    /// The call's buffer, bytes.
    public var bytes: Int
    /// Unix seconds when the rank entered (started) it.
    public var startedAt: Double

    public init(operation: CollectiveOperation, axis: MeshAxis, group: Int, sequence: Int, bytes: Int, startedAt: Double) {
        self.operation = operation
        self.axis = axis
        self.group = group
        self.sequence = sequence
        self.bytes = bytes
        self.startedAt = startedAt
    }
}

/// A rank's activity at one moment.
public struct RankActivity: Equatable, Sendable {
    public var phase = RankPhase.starting
    /// Unix seconds when `phase` began.
    public var phaseSince: Double
    /// The step being run (1-based, as logged); 0 before the first.
    public var step = 0
    public var completedSteps = 0
    /// Calls entered per axis (`MeshAxis.rawValue` indexes it): the sequence number of the latest.
    public var entered = [0, 0, 0]
    /// The call the rank is blocked in, if any.
    public var waitingIn: CollectiveCall?
    /// The call that completed last, and when (Unix seconds).
    public var lastCompleted: CollectiveCall?
    public var lastCompletedAt: Double?

    public init(phaseSince: Double) {
        self.phaseSince = phaseSince
    }

    public func entered(_ axis: MeshAxis) -> Int { entered[Int(axis.rawValue)] }
}
