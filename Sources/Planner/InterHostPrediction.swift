import ModelShape
import RunSpec

/// The bytes that cross between hosts in one optimizer step: every call of the step
/// (CommunicationPrediction.calls) over each of its groups, with the pattern Open MPI 4.1 uses
/// for it, counting what each rank sends to a rank on another host. Measured on test hosts
/// (bench/multihost-bytes.sh, docs/multihost.md): started all-reduces (libnbc) go up and down a
/// binomial tree, started all-gathers send every rank's block to every other rank, blocking
/// reduce-scatters halve recursively (partner r xor 1 first), and blocking all-reduces halve
/// and double back (Rabenseifner's; for the groups of 2 measured, the whole buffer each way).
public enum InterHostPrediction {
    /// `hostOfRank[r]`: the host (any label) rank r runs on.
    public static func perStep(_ workload: Workload, mesh: MeshShape, hostOfRank: [Int]) -> Int {
        precondition(hostOfRank.count == mesh.worldSize, "a host for each of the \(mesh.worldSize) ranks")
        var bytes = 0
        for call in CommunicationPrediction.calls(workload, mesh: mesh) {
            for group in groups(call.over, mesh) {
                bytes += crossing(call, hosts: group.map { hostOfRank[$0] })
            }
        }
        return bytes
    }

    /// Ranks r*S..r*S+S-1 on each host in turn: mpirun's default placement by slot.
    public static func byBlocks(ranks: Int, perHost: Int) -> [Int] { (0 ..< ranks).map { $0 / max(1, perHost) } }

    /// Rank r on host r mod hosts: mpirun's `--map-by node`.
    public static func roundRobin(ranks: Int, hosts: Int) -> [Int] { (0 ..< ranks).map { $0 % max(1, hosts) } }

    /// The groups a call runs over, each as its ranks in group order.
    static func groups(_ over: CollectiveCall.Groups, _ mesh: MeshShape) -> [[Int]] {
        switch over {
        case .shard: return (0 ..< mesh.replicate).map { mesh.shardGroup(ofRank: $0 * mesh.shard) }
        case .replicate: return (0 ..< mesh.shard).map { mesh.replicateGroup(ofRank: $0) }
        }
    }

    /// Bytes of one call over one group whose members sit on `hosts` (in group order): its
    /// messages (CallRounds, the patterns above) between members on different hosts.
    static func crossing(_ call: CollectiveCall, hosts: [Int]) -> Int {
        CallRounds.rounds(call).joined().filter { hosts[$0.from] != hosts[$0.to] }.map(\.bytes).reduce(0, +)
    }
}
