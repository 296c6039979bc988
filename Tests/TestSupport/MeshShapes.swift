import RunSpec

/// The mesh `r` x `s`, for tests that name valid meshes by their degrees.
public func meshShape(_ replicate: Int, _ shard: Int) -> MeshShape {
    do { return try MeshShape(replicate: replicate, shard: shard) } catch { preconditionFailure("\(error)") }
}
