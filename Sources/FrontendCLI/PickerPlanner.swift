import Dashboard
import Launcher
import ModelShape
import Planner
import RunSpec
import Telemetry

/// The dashboard's mesh picker fed by the Planner: the run's workload read from its hello, the
/// batch split for another world size as a switch keeps the global batch, and Planner's
/// predictions turned into the Dashboard's plain `MeshCandidate`s.
public enum PickerPlanner {
    /// What `DashboardApp(planner:)` takes.
    public static func planner(runtimeBytes: Int = Plan.defaultRuntimeBytes) -> (Hello, Int) -> [MeshCandidate] {
        { hello, worldSize in candidates(for: hello, worldSize: worldSize, runtimeBytes: runtimeBytes) }
    }

    /// Every mesh of `worldSize` ranks for the run of `hello`. A world size that cannot keep the
    /// global batch, or a run whose workload cannot be read, gives its meshes with the reason.
    public static func candidates(for hello: Hello, worldSize: Int,
                                  runtimeBytes: Int = Plan.defaultRuntimeBytes) -> [MeshCandidate] {
        let workload: Workload
        do {
            workload = try self.workload(from: hello, worldSize: worldSize)
        } catch {
            return MeshPickerView.meshes(worldSize).map {
                MeshCandidate(replicate: $0.replicate, shard: $0.shard, memory: [:], residentBytes: 0, bytesSent: [:],
                              unavailable: "\(error)")
            }
        }
        let predictions = Plan.candidates(worldSize: worldSize, workload: workload, runtimeBytes: runtimeBytes)
        let best = Plan.bestForMemory(predictions)?.mesh, least = Plan.leastCommunication(predictions)?.mesh
        return predictions.map {
            MeshCandidate(replicate: $0.mesh.replicate, shard: $0.mesh.shard, memory: $0.memoryByName,
                          residentBytes: $0.residentBytes, bytesSent: $0.bytesSentByName,
                          bestMemory: $0.mesh == best, leastCommunication: $0.mesh == least)
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
