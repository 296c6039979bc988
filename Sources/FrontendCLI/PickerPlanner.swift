import Dashboard
import Launcher
import ModelShape
import Planner
import RunSpec
import Telemetry
import Topology

/// What the picker predicts step times from: a probe's topology (`meshtop run --topology`) and
/// where the run puts its ranks (its hostfile's slots, mpirun's mapping policy).
public struct PickerTiming: Sendable {
    public var topology: Topology
    /// Each host's slots; empty or one host: every rank here.
    public var slots: [Int]
    public var policy: Placement.Policy

    public init(topology: Topology, slots: [Int], policy: Placement.Policy) {
        self.topology = topology; self.slots = slots; self.policy = policy
    }

    /// mpirun's policy as the environment sets it (`OMPI_MCA_rmaps_base_mapping_policy=node`, as
    /// the multi-host benchmarks do); by slot otherwise, its default.
    public static func policy(environment: [String: String]) -> Placement.Policy {
        environment["OMPI_MCA_rmaps_base_mapping_policy"]?.lowercased().hasPrefix("node") == true ? .node : .slot
    }

    func placement() -> Placement? { slots.count > 1 ? Placement(slots: slots, policy: policy) : nil }
}

/// The dashboard's mesh picker fed by the Planner: the run's workload read from its hello, the
/// batch split for another world size as a switch keeps the global batch, and Planner's
/// predictions turned into the Dashboard's plain `MeshCandidate`s.
public enum PickerPlanner {
    /// What `DashboardApp(planner:)` takes.
    public static func planner(runtimeBytes: Int = Plan.defaultRuntimeBytes, timing: PickerTiming? = nil) -> (Hello, Int) -> [MeshCandidate] {
        { hello, worldSize in candidates(for: hello, worldSize: worldSize, runtimeBytes: runtimeBytes, timing: timing) }
    }

    /// Every mesh of `worldSize` ranks for the run of `hello`. A world size that cannot keep the
    /// global batch, or a run whose workload cannot be read, gives its meshes with the reason.
    /// With `timing`, each mesh's step time and tokens/s are predicted too.
    public static func candidates(for hello: Hello, worldSize: Int, runtimeBytes: Int = Plan.defaultRuntimeBytes,
                                  timing: PickerTiming? = nil) -> [MeshCandidate] {
        let workload: Workload
        do {
            workload = try self.workload(from: hello, worldSize: worldSize)
        } catch {
            return MeshPickerView.meshes(worldSize).map {
                MeshCandidate(replicate: $0.replicate, shard: $0.shard, memory: [:], residentBytes: 0, bytesSent: [:],
                              unavailable: "\(error)")
            }
        }
        let model = timing.map { TimeModel(topology: $0.topology, ranks: worldSize) }
        let predictions = MeshShape.all(worldSize: worldSize).map {
            Plan.predict(mesh: $0, workload: workload, runtimeBytes: runtimeBytes, placement: timing?.placement(), timing: model)
        }
        let best = Plan.bestForMemory(predictions)?.mesh, least = Plan.leastCommunication(predictions)?.mesh
        return predictions.map {
            MeshCandidate(replicate: $0.mesh.replicate, shard: $0.mesh.shard, memory: $0.memoryByName,
                          residentBytes: $0.residentBytes, bytesSent: $0.bytesSentByName,
                          bestMemory: $0.mesh == best, leastCommunication: $0.mesh == least,
                          stepSeconds: $0.time?.stepSeconds, tokensPerSecond: $0.time?.tokensPerSecond)
        }
    }

    /// The workload of the run of `hello` moved to `worldSize` ranks: its specification's model and
    /// strategy options, and the global batch kept: the local batch stays when it divides each
    /// rank's share (the accumulation changes), else the largest one below that does.
    public static func workload(from hello: Hello, worldSize: Int) throws -> Workload {
        guard let spec = hello.spec else {
            throw PlanError("the run's hello carries no specification (recorded by an older meshtop)")
        }
        let split = try GlobalBatch(localBatchSize: hello.config.globalBatchSize, gradAccum: 1, ranks: 1)
            .split(ranks: worldSize, keepingLocalBatch: spec.localBatchSize)
        let workload = Workload(model: spec.model, localBatchSize: split.localBatchSize, seqLen: spec.seqLen,
                                gradAccum: split.gradAccum, bucketMB: spec.bucketMB,
                                reshardAfterForward: spec.reshardAfterForward, threads: spec.threads)
        try workload.validate()
        return workload
    }
}
