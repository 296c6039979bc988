import Memory
import ModelShape
import RunSpec

/// What one mesh would cost a rank: its ledger by category, its resident estimate, and its
/// traffic per step. (On every strategy here all ranks hold the same amounts, so one rank speaks
/// for all.)
public struct MeshPrediction: Equatable, Sendable {
    public let mesh: MeshShape
    /// Bytes per category exactly as the rank's memory ledger will record them.
    public let memory: [MemoryCategory: Int]
    /// Bytes sent and calls per collective kind in one optimizer step.
    public let traffic: CollectiveTraffic
    /// The ledger's total plus `runtimeBytes`: what the process is expected to hold resident.
    public let residentBytes: Int
    /// Bytes that cross between hosts per step, all ranks together, when the ranks are spread
    /// over hosts (`Plan.candidates(hosts:)`); nil on one host.
    public var interHostBytes: Int?
    /// How the ranks sit on the hosts; nil on one host.
    public var placement: Placement.Policy?
    /// The predicted step time, with a time model (`Plan.candidates(placements:timing:)`).
    public var time: StepTime?
    /// Why the time is not predicted, with a time model that cannot (a link it lacks).
    public var timeUnavailable: String?

    public var ledgerBytes: Int { memory.values.reduce(0, +) }
    public var communicationBytes: Int { traffic.totalBytes }
    public func bytes(_ category: MemoryCategory) -> Int { memory[category] ?? 0 }
    public func bytes(_ kind: CollectiveKind) -> Int { traffic.bytes[kind] ?? 0 }

    /// The memory keyed as the telemetry stream and the metrics file key it ("parameters", ...),
    /// every category present, so a measured step's `memory` compares key by key.
    public var memoryByName: [String: Int] {
        Dictionary(uniqueKeysWithValues: MemoryCategory.allCases.map { ($0.rawValue, bytes($0)) })
    }

    /// Bytes sent per step keyed as the telemetry stream keys collectives ("all_reduce", ...);
    /// kinds the mesh does not use are absent, as in the ranks' records.
    public var bytesSentByName: [String: Int] {
        Dictionary(uniqueKeysWithValues: traffic.bytes.map { ($0.key.rawValue, $0.value) })
    }
}

/// The what-if planner: every mesh of a world size, predicted from the model and the batch
/// alone. Pure and allocation-light (no model is built): the dashboard's mesh picker calls it
/// on every key press. See docs/planner.md for how each figure is derived.
public enum Plan {
    /// What a meshtop-rank process holds resident beyond its ledger: the binary and its libraries
    /// (Swift runtime, Foundation, Open MPI, OpenBLAS), MPI's shared-memory segments, the token
    /// data and the heap's slack. Measured on this machine as resident minus ledger total after
    /// step 1 of debugmodel runs on 4 ranks: 40-52 MiB on every mesh and batch tried
    /// (docs/planner.md). A dashboard can pass the running mesh's own figure instead
    /// (`runtimeBytes(residentBytes:ledgerBytes:)`).
    public static let defaultRuntimeBytes = 46 << 20

    /// The runtime part measured on a running rank, for predicting its neighbours.
    public static func runtimeBytes(residentBytes: Int, ledgerBytes: Int) -> Int {
        max(0, residentBytes - ledgerBytes)
    }

    /// `hosts`: the ranks spread over that many hosts in blocks (mpirun's placement by slot).
    public static func predict(mesh: MeshShape, workload: Workload, runtimeBytes: Int = defaultRuntimeBytes,
                               hosts: Int = 1) -> MeshPrediction {
        predict(mesh: mesh, workload: workload, runtimeBytes: runtimeBytes,
                placement: hosts > 1 ? .evenly(hosts: hosts, ranks: mesh.worldSize) : nil, timing: nil)
    }

    /// `placement`: the ranks' hosts (nil: one host); `timing`: predict the step time with it.
    public static func predict(mesh: MeshShape, workload: Workload, runtimeBytes: Int = defaultRuntimeBytes,
                               placement: Placement?, timing: TimeModel?) -> MeshPrediction {
        let memory = MemoryPrediction.ledger(workload, mesh: mesh)
        var prediction = MeshPrediction(mesh: mesh, memory: memory, traffic: CommunicationPrediction.perStep(workload, mesh: mesh),
                                        residentBytes: memory.values.reduce(0, +) + runtimeBytes)
        let hostOfRank = placement?.hostOfRank(ranks: mesh.worldSize) ?? Array(repeating: 0, count: mesh.worldSize)
        if let placement, placement.hosts > 1 {
            prediction.placement = placement.policy
            prediction.interHostBytes = InterHostPrediction.perStep(workload, mesh: mesh, hostOfRank: hostOfRank)
        }
        if let timing {
            switch StepTimePrediction.predict(workload, mesh: mesh, hostOfRank: hostOfRank, model: timing) {
            case .success(let time): prediction.time = time
            case .failure(let why): prediction.timeUnavailable = why.description
            }
        }
        return prediction
    }

    /// One prediction per mesh of `worldSize` ranks, from (N, 1) to (1, N).
    public static func candidates(worldSize: Int, workload: Workload, runtimeBytes: Int = defaultRuntimeBytes,
                                  hosts: Int = 1) -> [MeshPrediction] {
        MeshShape.all(worldSize: worldSize).map { predict(mesh: $0, workload: workload, runtimeBytes: runtimeBytes, hosts: hosts) }
    }

    /// One prediction per mesh and placement: each mesh under each of `placements` in turn (a
    /// placement that puts every rank where an earlier one did is left out); every mesh once
    /// when `placements` is empty (one host).
    public static func candidates(worldSize: Int, workload: Workload, runtimeBytes: Int = defaultRuntimeBytes,
                                  placements: [Placement], timing: TimeModel?) -> [MeshPrediction] {
        MeshShape.all(worldSize: worldSize).flatMap { mesh -> [MeshPrediction] in
            guard !placements.isEmpty else {
                return [predict(mesh: mesh, workload: workload, runtimeBytes: runtimeBytes, placement: nil, timing: timing)]
            }
            var seen: [[Int]] = []
            return placements.compactMap { placement in
                let hosts = placement.hostOfRank(ranks: mesh.worldSize)
                guard !seen.contains(hosts) else { return nil }
                seen.append(hosts)
                return predict(mesh: mesh, workload: workload, runtimeBytes: runtimeBytes, placement: placement, timing: timing)
            }
        }
    }

    /// The candidates with a predicted time, fastest first (equals keep their order).
    public static func rankedByTime(_ candidates: [MeshPrediction]) -> [MeshPrediction] {
        candidates.enumerated().filter { $0.element.time != nil }
            .sorted { ($0.element.time!.stepSeconds, $0.offset) < ($1.element.time!.stepSeconds, $1.offset) }
            .map(\.element)
    }

    /// The candidate with the shortest predicted step (the first of equals).
    public static func fastest(_ candidates: [MeshPrediction]) -> MeshPrediction? { rankedByTime(candidates).first }

    /// The candidate with the smallest per-rank memory (the first of equals, in the list's order).
    public static func bestForMemory(_ candidates: [MeshPrediction]) -> MeshPrediction? {
        candidates.min { $0.residentBytes < $1.residentBytes }
    }

    /// The candidate that sends the fewest bytes per rank per step (the first of equals).
    public static func leastCommunication(_ candidates: [MeshPrediction]) -> MeshPrediction? {
        candidates.min { $0.communicationBytes < $1.communicationBytes }
    }
}
