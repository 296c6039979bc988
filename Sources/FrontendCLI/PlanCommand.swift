import ArgumentParser
import Foundation
import Memory
import ModelShape
import Planner
import RunOptions
import RunSpec

/// `meshtop plan --np N`: the what-if planner without a job: every mesh of N ranks, with the
/// memory a rank would hold and the bytes it would send per step, predicted from the model and
/// the batch (docs/planner.md).
public struct PlanCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Predict per-rank memory and communication of every mesh of N ranks, without running them.",
        discussion: """
            One row per [dp_replicate, dp_shard] mesh of --np ranks, from (N, 1) (replicate) to \
            (1, N) (FSDP). Memory columns are the bytes each rank's memory ledger will hold, by \
            category (parameters, gathered parameters, gradients, optimizer state, activations, \
            communication buffers, scratch), their total, and the resident estimate (the total \
            plus the runtime's own memory, --runtime-mib). Traffic columns are the bytes each \
            rank sends per optimizer step by collective (all-reduce, all-gather, reduce-scatter), \
            as the ranks record them. M marks the mesh needing the least memory per rank, C the \
            one sending the least. The model and batch options are meshtop-rank's; options that \
            change neither memory nor traffic (--lr, --steps, ...) are accepted and ignored. \
            Nothing is allocated or launched: see docs/planner.md for the formulas.
            """)

    @Option(name: .customLong("np"), parsing: .unconditional, help: "The number of ranks (world size) to plan for.")
    public var worldSize: Int

    @Option(name: .customLong("runtime-mib"), parsing: .unconditional, help: ArgumentHelp(
        "Resident memory of a rank beyond its ledger (binary, libraries, MPI, data), in MiB.",
        discussion: "Default: the figure measured on this machine (docs/planner.md).", valueName: "mib"))
    public var runtimeMiB: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Spread the ranks over this many hosts (by slot, as mpirun places them) and predict the bytes that cross between them.",
        valueName: "h"))
    public var hosts: Int = 1

    @Flag(help: "Print one JSON object per mesh (exact bytes) instead of the table.")
    public var json = false

    @OptionGroup(title: "Model") public var model: ModelOptions
    @OptionGroup(title: "Training") public var training: TrainingOptions

    public init() {}

    public func validate() throws {
        guard worldSize >= 1 else { throw ValidationError("--np must be at least 1, got \(worldSize)") }
        if let runtimeMiB, !(runtimeMiB >= 0) { throw ValidationError("--runtime-mib must not be negative, got \(runtimeMiB)") }
        guard hosts >= 1, worldSize % hosts == 0 else {
            throw ValidationError("--hosts \(hosts): must be at least 1 and divide --np \(worldSize)")
        }
    }

    public func run() throws {
        let (flavor, config) = try InputError.refusing { try model.resolve() }
        let workload = Workload(model: config, localBatchSize: training.localBatchSize, seqLen: training.seqLen,
                                gradAccum: training.gradAccum, bucketMB: training.bucketMB,
                                reshardAfterForward: !training.noReshardAfterForward, threads: training.threads)
        try InputError.refusing { try workload.validate() }
        let runtime = runtimeMiB.map { Int($0 * 1_048_576) } ?? Plan.defaultRuntimeBytes
        let candidates = Plan.candidates(worldSize: worldSize, workload: workload, runtimeBytes: runtime, hosts: hosts)
        if json {
            try printJSON(candidates)
            return
        }
        print("\(flavor) (\(config.parameterCount) parameters), local batch \(workload.localBatchSize) x seq_len "
            + "\(workload.seqLen), grad accum \(workload.gradAccum), \(worldSize) ranks" + (hosts > 1 ? " on \(hosts) hosts" : ""))
        PlanTable.lines(candidates).forEach { print($0) }
    }

    private func printJSON(_ candidates: [MeshPrediction]) throws {
        let best = Plan.bestForMemory(candidates)?.mesh, least = Plan.leastCommunication(candidates)?.mesh
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for c in candidates {
            let row = PlanRow(mesh: c.mesh.description, replicate: c.mesh.replicate, shard: c.mesh.shard,
                              strategy: c.mesh.strategy.rawValue, memory: c.memory, ledger_bytes: c.ledgerBytes,
                              resident_bytes: c.residentBytes, bytes_per_step: c.traffic.bytes,
                              calls_per_step: c.traffic.calls, inter_host_bytes_per_step: c.interHostBytes,
                              least_memory: c.mesh == best, least_communication: c.mesh == least)
            print(String(decoding: try encoder.encode(row), as: UTF8.self))
        }
    }
}

/// One line of `meshtop plan --json`.
struct PlanRow: Encodable {
    let mesh: String
    let replicate, shard: Int
    let strategy: String
    let memory: [MemoryCategory: Int]
    let ledger_bytes, resident_bytes: Int
    let bytes_per_step, calls_per_step: [CollectiveKind: Int]
    let inter_host_bytes_per_step: Int?
    let least_memory, least_communication: Bool
}
