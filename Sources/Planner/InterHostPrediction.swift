import ModelShape
import RunSpec

/// The bytes that cross between hosts in one optimizer step: every call of the step
/// (CommunicationPrediction.calls) over each of its groups, with the pattern Open MPI 4.1 uses
/// for it, counting what each rank sends to a rank on another host. Measured on test hosts
/// (bench/multihost-bytes.sh, docs/multihost.md): started all-reduces (libnbc) go up and down a
/// binomial tree, started all-gathers send every rank's block to every other rank, blocking
/// reduce-scatters halve recursively (partner r xor 1 first), and blocking all-reduces exchange
/// whole buffers recursively (measured for 2 ranks a group).
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

    /// Bytes of one call over one group whose members sit on `hosts` (in group order).
    static func crossing(_ call: CollectiveCall, hosts: [Int]) -> Int {
        let p = hosts.count, buffer = call.bufferBytes
        func apart(_ a: Int, _ b: Int) -> Bool { hosts[a] != hosts[b] }
        switch (call.kind, call.blocking) {
        case (.allReduce, false):
            // Reduce to group rank 0 and broadcast back over the binomial tree: each edge twice.
            let edges = (1 ..< p).filter { apart($0, $0 - ($0 & -$0)) }.count
            return 2 * buffer * edges
        case (.allReduce, true):
            return recursiveExchange(hosts) { _ in buffer }
        case (.allGather, _):
            let pairs = (0 ..< p).map { a in (0 ..< p).filter { $0 != a && apart(a, $0) }.count }.reduce(0, +)
            return pairs * buffer / p
        case (.reduceScatter, _):
            return recursiveExchange(hosts) { round in buffer >> (round + 1) }
        }
    }

    /// Partners r xor 1, then r xor 2, ...: what each rank sends in `round` (`bytes(round)`),
    /// summed over the ranks whose partner that round is on another host.
    static func recursiveExchange(_ hosts: [Int], bytes: (_ round: Int) -> Int) -> Int {
        var total = 0, round = 0
        while 1 << round < hosts.count {
            let distance = 1 << round
            total += (0 ..< hosts.count).filter { ($0 ^ distance) < hosts.count && hosts[$0] != hosts[$0 ^ distance] }.count
                * bytes(round)
            round += 1
        }
        return total
    }
}
