import ArgumentParser
import Foundation
import Launcher
import Memory
import ModelShape
import Planner
import RunOptions
import RunSpec
import Topology

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

            With --topology (a file `meshtop probe` wrote on the hosts the job will run on), a \
            second table predicts the time of a step on each mesh and placement (by slot and, \
            across hosts, by node): the bytes each collective sends across hosts and within them, \
            the communication's time and how much of it compute hides, the step time, tokens/s, \
            and the meshes ranked by step time. Without one, time is not predicted.
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

    @Option(help: ArgumentHelp(
        "Take the hosts and their slots from this hostfile (`host slots=N` lines) instead of --hosts.",
        valueName: "file"))
    public var hostfile: String?

    @Option(help: ArgumentHelp(
        "Predict step times from this topology file (written by `meshtop probe`).",
        discussion: "Its sgemm rate and link speeds are the hosts' it was measured on; see docs/planner.md.",
        valueName: "file"))
    public var topology: String?

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
        if hostfile != nil && hosts != 1 { throw ValidationError("--hosts and --hostfile exclude each other: give one") }
    }

    /// Where the ranks would run: a placement per mpirun policy across hosts, none on one host.
    func placements() throws -> [Placement] {
        let slots: [Int]
        if let hostfile {
            slots = try Hostfile(path: hostfile).hosts.map(\.slots)
        } else {
            slots = Array(repeating: worldSize / hosts, count: hosts)
        }
        guard slots.count > 1 else { return [] }
        return Placement.Policy.allCases.map { Placement(slots: slots, policy: $0) }
    }

    public func run() throws {
        let (flavor, config) = try InputError.refusing { try model.resolve() }
        let workload = Workload(model: config, localBatchSize: training.localBatchSize, seqLen: training.seqLen,
                                gradAccum: training.gradAccum, bucketMB: training.bucketMB,
                                reshardAfterForward: !training.noReshardAfterForward, threads: training.threads)
        try InputError.refusing { try workload.validate() }
        let runtime = runtimeMiB.map { Int($0 * 1_048_576) } ?? Plan.defaultRuntimeBytes
        let placements = try InputError.refusing { try self.placements() }
        let timing = try topology.map { TimeModel(topology: try TopologyFile.read($0, option: "--topology \($0)"), ranks: worldSize) }
        // The memory table: one row per mesh, its bytes across hosts by slot (mpirun's default).
        let candidates = MeshShape.all(worldSize: worldSize).map {
            Plan.predict(mesh: $0, workload: workload, runtimeBytes: runtime, placement: placements.first, timing: nil)
        }
        let placed = Plan.candidates(worldSize: worldSize, workload: workload, runtimeBytes: runtime,
                                     placements: placements, timing: timing)
        if json {
            try PlanJSON.print(placed)
            return
        }
        let hostCount = placements.first?.hosts ?? 1
        print("\(flavor) (\(config.parameterCount) parameters), local batch \(workload.localBatchSize) x seq_len "
            + "\(workload.seqLen), grad accum \(workload.gradAccum), \(worldSize) ranks" + (hostCount > 1 ? " on \(hostCount) hosts" : ""))
        PlanTable.lines(candidates).forEach { print($0) }
        guard let timing, let topology else {
            print("Step time: not predicted (give --topology FILE, as `meshtop probe` writes it on the hosts).")
            return
        }
        print("")
        var line = "Step time from \(topology): " + TimeTable.fixed(timing.rankFlops / 1e9, decimals: 1)
        line += " GF/s a rank (sgemm, all ranks busy) x " + TimeTable.fixed(timing.shareOfSgemm, decimals: 2) + " reached by a step"
        if let inter = timing.interHost { line += ", between hosts " + Self.link(inter) }
        if let intra = timing.intraHost { line += ", within a host " + Self.link(intra) }
        print(line)
        TimeTable.lines(placed).forEach { print($0) }
    }

    static func link(_ link: TimeModel.Link) -> String {
        TimeTable.fixed(link.bandwidthBytesPerSecond / 1e6, decimals: 1) + " MB/s ("
            + TimeTable.fixed(link.bothWaysBandwidthBytesPerSecond / 1e6, decimals: 1) + " each way both ways), "
            + TimeTable.fixed(link.latencySeconds * 1e6, decimals: 0) + " us"
    }
}
