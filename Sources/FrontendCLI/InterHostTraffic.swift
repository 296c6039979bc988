import Planner
import RunSpec
import Telemetry

/// The bytes a step of the run of `hello` sends between hosts, as the planner predicts them for
/// the ranks' actual placement (the hello's hosts): the replay of the step's calls with Open
/// MPI's patterns that InterHostBytesTests matches to the test hosts' links within 0.5%. Nil on
/// one host or when the hello carries no specification.
enum InterHostTraffic {
    static func perStep(_ hello: Hello) -> Int? {
        let hosts = hello.ranks.map(\.host)
        var order: [String: Int] = [:]
        for host in hosts where order[host] == nil { order[host] = order.count }
        guard order.count > 1, hosts.count == hello.mesh.worldSize,
              let mesh = try? MeshShape(replicate: hello.mesh.replicate, shard: hello.mesh.shard),
              let workload = try? PickerPlanner.workload(from: hello, worldSize: hosts.count) else { return nil }
        return InterHostPrediction.perStep(workload, mesh: mesh, hostOfRank: hosts.map { order[$0]! })
    }

    /// The record as the front end records it: a hello of ranks on several hosts with the
    /// prediction in it (`Hello.predictedInterHostBytesPerStep`), anything else as it came.
    static func recorded(_ record: TelemetryRecord) -> TelemetryRecord {
        guard case .hello(var hello) = record.event, let bytes = perStep(hello) else { return record }
        hello.predictedInterHostBytesPerStep = bytes
        return TelemetryRecord(time: record.time, event: .hello(hello))
    }

    /// "~2.8 MB a step across hosts (predicted for this placement)"
    static func text(_ bytes: Int) -> String {
        "~\(String(format: "%.1f", Double(bytes) / 1e6)) MB a step across hosts (predicted for this placement)"
    }
}
