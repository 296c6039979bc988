/// The groups a rank belongs to on the mesh [replicate, shard] (rank = r * shard + s), as the
/// mesh panel highlights them.
public enum MeshGroups {
    /// The ranks holding the same shard (its column): gradients are averaged across them.
    public static func replicateGroup(ofRank rank: Int, replicate: Int, shard: Int) -> [Int] {
        guard shard > 0, rank >= 0, rank < replicate * shard else { return [] }
        return (0 ..< replicate).map { $0 * shard + rank % shard }
    }

    /// The ranks that together hold one replica (its row): parameters are sharded across them.
    public static func shardGroup(ofRank rank: Int, replicate: Int, shard: Int) -> [Int] {
        guard shard > 0, rank >= 0, rank < replicate * shard else { return [] }
        let row = rank / shard
        return (0 ..< shard).map { row * shard + $0 }
    }

    /// Whether `other` shares a group with `rank` (either one), `rank` itself included.
    static func related(_ other: Int, to rank: Int, shard: Int) -> Bool {
        shard > 0 && (other / shard == rank / shard || other % shard == rank % shard)
    }
}
