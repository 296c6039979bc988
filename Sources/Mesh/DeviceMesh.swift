import Collectives
// The pure mesh (MeshShape, Strategy, MeshError) lives in RunSpec, so code without MPI can use
// it; every `import Mesh` still sees it.
@_exported import RunSpec

/// The mesh as this rank sees it: its coordinates and the two groups it talks to. Every call on
/// them is traced on `activity` (which the rank's heartbeat reports).
public final class DeviceMesh {
    public let shape: MeshShape
    public let activity: ActivityBoard
    public let world: Communicator
    /// The ranks of this rank's column (same shard index), ordered by replicate index.
    public let replicateGroup: Communicator
    /// The ranks of this rank's row (same replica), ordered by shard index.
    public let shardGroup: Communicator

    public var rank: Int { world.rank }
    public var coordinates: (replicate: Int, shard: Int) { shape.coordinates(ofRank: world.rank) }

    /// Collective over `world`: every rank of it must call this with the same shape.
    public init(shape: MeshShape, world: Communicator, activity: ActivityBoard = ActivityBoard()) throws {
        try shape.validate(worldSize: world.size)
        self.shape = shape
        self.activity = activity
        let (r, s) = shape.coordinates(ofRank: world.rank)
        self.world = TracedCommunicator(world, axis: .world, group: 0, board: activity)
        replicateGroup = TracedCommunicator(try world.split(color: s, key: r), axis: .replicate, group: s, board: activity)
        shardGroup = TracedCommunicator(try world.split(color: r, key: s), axis: .shard, group: r, board: activity)
    }
}
