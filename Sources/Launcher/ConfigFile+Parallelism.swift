import Foundation

/// `[parallelism]`'s data-parallel degrees as the file gives them.
public struct MeshDegrees: Equatable, Sendable {
    public var replicate: Int
    /// -1: every rank the replicas leave (torchtitan's default).
    public var shard: Int

    public init(replicate: Int, shard: Int) {
        self.replicate = replicate
        self.shard = shard
    }
}

extension ConfigFile {
    /// The mesh and FSDP settings of `[parallelism]`. The degrees of parallelisms meshtop does
    /// not have must be 1; the mesh itself waits for the number of ranks (`meshArguments`).
    mutating func readParallelism(_ given: [String: ConfigValue]) throws -> MeshDegrees? {
        for key in ConfigSchema.otherDegrees {
            if let value = given[key], value != .int(1) {
                throw refuse("parallelism", key, value, "meshtop has data parallelism only (must be 1)")
            }
        }
        if let value = given["fsdp_reshard_after_forward"] {
            switch value.string {
            case "default", "always": break
            case "never": arguments.append("--no-reshard-after-forward")
            default: throw refuse("parallelism", "fsdp_reshard_after_forward", value, "expected \"default\", \"always\" or \"never\"")
            }
        }
        let replicate = given["data_parallel_replicate_degree"]
        let shard = given["data_parallel_shard_degree"]
        if replicate == nil && shard == nil { return nil }
        let degrees = MeshDegrees(replicate: replicate?.int ?? 1, shard: shard?.int ?? -1)
        if let replicate, degrees.replicate < 1 {
            throw refuse("parallelism", "data_parallel_replicate_degree", replicate,
                         "must be at least 1 (only data_parallel_shard_degree may be -1)")
        }
        if let shard, degrees.shard < 1 && degrees.shard != -1 {
            throw refuse("parallelism", "data_parallel_shard_degree", shard, "must be -1 (all remaining ranks) or at least 1")
        }
        return degrees
    }

    /// `--mesh RxS` for a job of `ranks` ranks (`--np`; nil: not given, and then a shard degree
    /// of -1 counts one rank per core, meshtop's default). Nothing when the file has no degrees.
    public func meshArguments(ranks: Int?, cores: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [String] {
        guard let degrees else { return [] }
        let r = degrees.replicate
        if degrees.shard == -1 {
            let world = ranks ?? max(cores, 1)
            guard world >= r, world % r == 0 else {
                let source = ranks == nil ? "one per core" : "--np"
                throw LaunchError("\(name): [parallelism] data_parallel_shard_degree = -1 shares the ranks among data_parallel_replicate_degree = \(r) replicas, but \(world) ranks (\(source)) do not divide by \(r)")
            }
            return ["--mesh", "\(r)x\(world / r)"]
        }
        let s = degrees.shard
        if let ranks, ranks != r * s {
            throw LaunchError("\(name): [parallelism] data_parallel_replicate_degree = \(r) and data_parallel_shard_degree = \(s) make \(r * s) ranks, but --np is \(ranks)")
        }
        return ["--mesh", "\(r)x\(s)"]
    }
}
