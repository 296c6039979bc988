// Names the ranks, the telemetry stream and the dashboard share: on the wire they are these
// raw values, so a reader that does not link the trainer still speaks of the same things.

/// What a buffer holds, as the memory panel shows it per rank.
public enum MemoryCategory: String, CaseIterable, Codable, CodingKeyRepresentable, Sendable {
    case parameters
    /// Full copies of sharded parameters, all-gathered for a unit's forward or backward (FSDP).
    case gatheredParameters = "gathered_parameters"
    case gradients
    /// AdamW's first and second moments.
    case optimizer
    case activations
    /// Staging buffers for collectives (buckets, shards in flight).
    case communication
    /// Temporary work space of kernels.
    case scratch
}

/// The collectives data parallelism uses, as the dashboard groups them.
public enum CollectiveKind: String, Codable, CodingKeyRepresentable, CaseIterable, Sendable {
    case allReduce = "all_reduce"
    case allGather = "all_gather"
    case reduceScatter = "reduce_scatter"

    /// Bytes one rank sends for a collective over `ranks` ranks on a buffer of `bytes` (the full
    /// buffer: the gathered result, or the input of reduce-scatter): the ring volumes, 2(n-1)/n
    /// for all-reduce and (n-1)/n for all-gather and reduce-scatter.
    public func bytesSent(buffer bytes: Int, ranks: Int) -> Int {
        guard ranks > 1 else { return 0 }
        switch self {
        case .allReduce: return 2 * (ranks - 1) * bytes / ranks
        case .allGather, .reduceScatter: return (ranks - 1) * bytes / ranks
        }
    }
}
