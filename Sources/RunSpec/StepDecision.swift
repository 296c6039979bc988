/// What every rank does at a step boundary, as rank 0 decides it from the front end's commands
/// and broadcasts it: four Int32s on the wire (`words`), so one small broadcast carries it.
public struct StepDecision: Equatable, Sendable {
    public enum Action: Int32, Sendable {
        /// Train on.
        case go = 0
        /// Stop after this step (checkpointing first when the run has checkpoints).
        case stop = 1
        /// Checkpoint, then exit with `ExitStatus.reconfigure` to be restarted on `mesh`.
        case reconfigure = 2
    }

    public var action: Action
    /// Write a checkpoint now (asked for by `c`).
    public var checkpoint: Bool
    /// The mesh a reconfigure restarts on.
    public var mesh: MeshShape?

    public init(_ action: Action, checkpoint: Bool = false, mesh: MeshShape? = nil) {
        self.action = action; self.checkpoint = checkpoint; self.mesh = mesh
    }

    public static let go = StepDecision(.go)

    /// How many Int32s `words` has: action, checkpoint, replicate, shard.
    public static let wordCount = 4

    public var words: [Int32] {
        [action.rawValue, checkpoint ? 1 : 0, Int32(mesh?.replicate ?? 0), Int32(mesh?.shard ?? 0)]
    }

    /// The decision `words` carries; an unknown action or a malformed mesh is `go` without a mesh,
    /// as a rank cannot act on it.
    public init(words: [Int32]) {
        guard words.count == Self.wordCount, let action = Action(rawValue: words[0]) else { self = .go; return }
        let mesh = try? MeshShape(replicate: Int(words[2]), shard: Int(words[3]))
        self.init(action == .reconfigure && mesh == nil ? .go : action, checkpoint: words[1] != 0,
                  mesh: action == .reconfigure ? mesh : nil)
    }
}
