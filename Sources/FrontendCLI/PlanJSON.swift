import Foundation
import Memory
import Planner
import RunSpec

/// `meshtop plan --json`: one object per mesh (and placement, across hosts), exact bytes and,
/// with a topology, the predicted time in seconds.
enum PlanJSON {
    static func print(_ candidates: [MeshPrediction]) throws {
        let best = Plan.bestForMemory(candidates)?.mesh, least = Plan.leastCommunication(candidates)?.mesh
        let ranked = Plan.rankedByTime(candidates)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for c in candidates {
            let rank = ranked.firstIndex { $0.mesh == c.mesh && $0.placement == c.placement }.map { $0 + 1 }
            let row = PlanRow(mesh: c.mesh.description, replicate: c.mesh.replicate, shard: c.mesh.shard,
                              strategy: c.mesh.strategy.rawValue, placement: c.placement?.rawValue, memory: c.memory,
                              ledger_bytes: c.ledgerBytes, resident_bytes: c.residentBytes, bytes_per_step: c.traffic.bytes,
                              calls_per_step: c.traffic.calls, inter_host_bytes_per_step: c.interHostBytes,
                              least_memory: c.mesh == best, least_communication: c.mesh == least,
                              time: c.time.map(TimeRow.init), time_rank: rank, time_unavailable: c.timeUnavailable)
            Swift.print(String(decoding: try encoder.encode(row), as: UTF8.self))
        }
    }
}

/// One line of `meshtop plan --json`.
struct PlanRow: Encodable {
    let mesh: String
    let replicate, shard: Int
    let strategy: String
    /// "slot" or "node" across hosts; absent on one host.
    let placement: String?
    let memory: [MemoryCategory: Int]
    let ledger_bytes, resident_bytes: Int
    let bytes_per_step, calls_per_step: [CollectiveKind: Int]
    let inter_host_bytes_per_step: Int?
    let least_memory, least_communication: Bool
    let time: TimeRow?
    /// 1 for the shortest predicted step.
    let time_rank: Int?
    let time_unavailable: String?
}

/// The predicted time of a step, seconds; bytes per step of all ranks together by link.
struct TimeRow: Encodable {
    let compute_seconds, communication_seconds, hidden_seconds, exposed_seconds, step_seconds, tokens_per_second: Double
    let communication_seconds_by_kind: [CollectiveKind: Double]
    let inter_host_bytes_by_kind, intra_host_bytes_by_kind: [CollectiveKind: Int]

    init(_ t: StepTime) {
        compute_seconds = t.computeSeconds
        communication_seconds = t.communicationSeconds
        hidden_seconds = t.hiddenSeconds
        exposed_seconds = t.exposedSeconds
        step_seconds = t.stepSeconds
        tokens_per_second = t.tokensPerSecond
        communication_seconds_by_kind = t.secondsByKind
        inter_host_bytes_by_kind = t.interHostBytes
        intra_host_bytes_by_kind = t.intraHostBytes
    }
}
