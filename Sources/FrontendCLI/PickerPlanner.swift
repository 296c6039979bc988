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

    /// The workload of the run of `hello` moved to `worldSize` ranks: the model from the flavor
    /// and the summary's dimensions (all a rank's options can change), the strategies' options
    /// from the hello's config, and the global batch kept: the local batch stays when it
    /// divides each rank's share (the accumulation changes), else the largest one below that does.
    public static func workload(from hello: Hello, worldSize: Int) throws -> Workload {
        var model = try ModelConfig.flavor(hello.model.flavor)
        let summary = hello.model
        model.dim = summary.dim; model.nLayers = summary.nLayers; model.nHeads = summary.nHeads
        model.nKVHeads = summary.nKVHeads; model.vocabSize = summary.vocabSize
        guard model.parameterCount == summary.parameters else {
            throw PlanError("the run's model (\(summary.parameters) parameters) is not the \(summary.flavor) flavor with its dimensions")
        }
        // A recording from before the hello carried the strategies' options: the ranks' defaults.
        let defaults = Workload(model: model)
        let split = try GlobalBatch(localBatchSize: hello.config.globalBatchSize, gradAccum: 1, ranks: 1)
            .split(ranks: worldSize, keepingLocalBatch: hello.config.localBatchSize)
        let workload = Workload(model: model, localBatchSize: split.localBatchSize, seqLen: hello.config.seqLen, gradAccum: split.gradAccum,
                                bucketMB: hello.config.bucketMB ?? Double(defaults.bucketBytes) / 1_048_576,
                                reshardAfterForward: hello.config.reshardAfterForward ?? defaults.reshardAfterForward,
                                threads: hello.config.threads)
        try workload.validate()
        return workload
    }
}
