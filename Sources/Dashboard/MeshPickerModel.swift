import RunSpec
import Telemetry

/// One mesh the picker offers, as the planner predicts it for one rank. Plain figures keyed by
/// the telemetry names, so the Dashboard stays free of the Planner (the front end adapts it).
public struct MeshCandidate: Equatable, Sendable {
    public var replicate: Int
    public var shard: Int
    /// Predicted ledger bytes per memory category ("parameters", "gradients", ...).
    public var memory: [String: Int]
    /// Predicted resident bytes (the ledger plus the runtime's own memory).
    public var residentBytes: Int
    /// Predicted bytes sent per optimizer step per collective ("all_reduce", ...).
    public var bytesSent: [String: Int]
    /// The least memory per rank among the meshes of its world size.
    public var bestMemory: Bool
    /// The fewest bytes sent per rank among the meshes of its world size.
    public var leastCommunication: Bool
    /// Why this mesh cannot take over the run (e.g. the global batch does not split); nil if it can.
    public var unavailable: String?
    /// The predicted step time, seconds, and tokens per second of all ranks; nil when the run
    /// has no topology to predict time from (`meshtop run --topology`).
    public var stepSeconds: Double?
    public var tokensPerSecond: Double?

    public init(replicate: Int, shard: Int, memory: [String: Int], residentBytes: Int, bytesSent: [String: Int],
                bestMemory: Bool = false, leastCommunication: Bool = false, unavailable: String? = nil,
                stepSeconds: Double? = nil, tokensPerSecond: Double? = nil) {
        self.replicate = replicate; self.shard = shard; self.memory = memory; self.residentBytes = residentBytes
        self.bytesSent = bytesSent; self.bestMemory = bestMemory; self.leastCommunication = leastCommunication
        self.unavailable = unavailable; self.stepSeconds = stepSeconds; self.tokensPerSecond = tokensPerSecond
    }

    public var worldSize: Int { replicate * shard }
}

/// The latest step figures of one mesh the run has used (the worst rank of each figure, since a
/// mesh fits only if its largest rank does). Kept per mesh across mesh changes.
public struct MeshMeasurement: Equatable, Sendable {
    public var replicate: Int
    public var shard: Int
    /// The step these figures are from.
    public var step: Int
    public var memory: [String: Int]
    public var residentBytes: Int
    public var bytesSent: [String: Int]
    /// The slowest rank's step time, seconds.
    public var stepSeconds: Double
    /// Tokens per second of all ranks together.
    public var tokensPerSecond: Double

    init(replicate: Int, shard: Int, step: Step) {
        self.replicate = replicate
        self.shard = shard
        self.step = step.step
        memory = [:]; bytesSent = [:]; residentBytes = 0; stepSeconds = 0; tokensPerSecond = 0
        for rank in step.ranks {
            memory.merge(rank.memory, uniquingKeysWith: max)
            bytesSent.merge(rank.communication.mapValues(\.bytes), uniquingKeysWith: max)
            residentBytes = max(residentBytes, rank.residentBytes)
            stepSeconds = max(stepSeconds, rank.seconds.total)
            tokensPerSecond += rank.tokensPerSecond
        }
    }
}

/// Where the latest mesh switch stands, for the header and the retry key.
public enum MeshSwitchStatus: Equatable, Sendable {
    /// Asked for (Enter in the picker, or a retry); the phases follow as `.phase` inputs.
    case requested(replicate: Int, shard: Int)
    /// The first step ran on the new mesh, `seconds` after the request.
    case switched(replicate: Int, shard: Int, seconds: Double)
    /// The switch failed; the run's checkpoint on the old mesh [replicate, shard] is intact.
    case failed(message: String, replicate: Int, shard: Int)
    /// The request was turned down before anything happened (the run goes on as it was).
    case refused(message: String)

    /// The header's line for it.
    func text(sep: String) -> String {
        switch self {
        case .requested(let r, let s): return "switching to [\(r), \(s)]"
        case .switched(let r, let s, let seconds):
            return "switched to [\(r), \(s)] in \(Format.number(seconds, significant: 2))s"
        case .failed(let message, let r, let s): return "switch failed: \(message)\(sep)R retries on [\(r), \(s)]"
        case .refused(let message): return "switch refused: \(message)"
        }
    }
}

/// The picker's own view state: which world size it shows and which of its meshes is chosen.
public struct MeshPickerView: Equatable, Sendable {
    public var worldSize = 1
    /// The most ranks `>` offers (`--max-np`; the app sets it).
    public var maxWorldSize = 1
    /// Index into `meshes(worldSize)`.
    public var selected = 0
    /// The predictions shown: those of `worldSize` and of every used mesh's world size
    /// (`DashboardApp` fills them from its planner before each frame; tests set them).
    public var candidates: [MeshCandidate] = []

    public init(worldSize: Int = 1, maxWorldSize: Int = 1, selected: Int = 0, candidates: [MeshCandidate] = []) {
        self.worldSize = worldSize; self.maxWorldSize = maxWorldSize; self.selected = selected
        self.candidates = candidates
    }

    /// Every [replicate, shard] of `worldSize` ranks, from (N, 1) to (1, N), as the planner lists them.
    public static func meshes(_ worldSize: Int) -> [(replicate: Int, shard: Int)] {
        MeshShape.all(worldSize: worldSize).map { ($0.replicate, $0.shard) }
    }

    /// The chosen mesh.
    public var selectedMesh: (replicate: Int, shard: Int)? {
        let all = Self.meshes(worldSize)
        return all.indices.contains(selected) ? all[selected] : nil
    }

    func candidate(_ replicate: Int, _ shard: Int) -> MeshCandidate? {
        candidates.first { $0.replicate == replicate && $0.shard == shard }
    }
}

extension DashboardState {
    /// The measurement of [replicate, shard], if the run has used it.
    public func measurement(_ replicate: Int, _ shard: Int) -> MeshMeasurement? {
        usedMeshes.first { $0.replicate == replicate && $0.shard == shard }
    }

    /// Keeps the latest step of the current mesh, each mesh in the order it was first used.
    mutating func recordMeasurement(_ step: Step) {
        guard let mesh, !step.ranks.isEmpty else { return }
        let measured = MeshMeasurement(replicate: mesh.replicate, shard: mesh.shard, step: step)
        if let index = usedMeshes.firstIndex(where: { $0.replicate == mesh.replicate && $0.shard == mesh.shard }) {
            usedMeshes[index] = measured
        } else {
            usedMeshes.append(measured)
        }
    }

    mutating func applySwitch(_ input: DashboardInput) {
        switch input {
        case .switchRequested(let replicate, let shard):
            meshSwitch = .requested(replicate: replicate, shard: shard)
        case .switched(let replicate, let shard, let seconds):
            meshSwitch = .switched(replicate: replicate, shard: shard, seconds: seconds)
            log.append(LogEntry(kind: .launcher, rank: nil, text: "switched to [\(replicate), \(shard)] in \(Format.number(seconds, significant: 3))s"))
        case .switchFailed(let message):
            let old = mesh.map { ($0.replicate, $0.shard) } ?? (1, 1)
            meshSwitch = .failed(message: message, replicate: old.0, shard: old.1)
            log.append(LogEntry(kind: .error, rank: nil, text: "mesh switch failed: \(message)"))
        case .switchRefused(let message):
            meshSwitch = .refused(message: message)
            if phase == .checkpointing { apply(.phase(.running)) }  // the app showed it at once; nothing began
            log.append(LogEntry(kind: .error, rank: nil, text: "mesh switch refused: \(message)"))
        default:
            break
        }
    }
}
