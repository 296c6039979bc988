// Runs inside every rank under real mpirun (started by Tests/MPITests). It exercises each
// collective of `MPICommunicator` on the world and on every sub-group of every mesh that fits
// the world, and compares each result with values computed here rank by rank, without MPI.
// Rank 0 prints a summary; the exit status is 1 if any rank saw a wrong value.
import Collectives
import Foundation
import Mesh

/// The value rank `r` contributes at index `i`. Small integers keep float sums exact.
func contribution(_ r: Int, _ i: Int) -> Double { Double((r + 1) * 3 + (i % 7) - 2) }

final class Checker {
    let label: String
    let rank: Int
    var checks = 0
    var failures = 0

    init(label: String, rank: Int) { self.label = label; self.rank = rank }

    func expect(_ ok: Bool, _ name: String, _ detail: @autoclosure () -> String = "") {
        checks += 1
        if !ok {
            failures += 1
            FileHandle.standardError.write("FAIL rank \(rank) [\(label)] \(name) \(detail())\n".data(using: .utf8)!)
        }
    }

    func expectEqual<T: Equatable>(_ got: [T], _ want: [T], _ name: String) {
        let firstBad = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }
        expect(got.count == want.count && firstBad == nil, name,
               firstBad.map { "index \($0.offset): got \($0.element.0), want \($0.element.1)" } ?? "count \(got.count) vs \(want.count)")
    }
}

let sizes = [1, 7, 1000, 65537]  // uneven on purpose
let blocks = [1, 3, 1001]

func exercise<T: CollectiveScalar>(_ type: T.Type, comm: Communicator, check: Checker, make: (Double) -> T) throws {
    let n = comm.size, me = comm.rank
    let name = "\(T.self)"
    for count in sizes {
        for op in [ReduceOp.sum, .max, .min] {
            let want: [T] = (0..<count).map { i in
                let values = (0..<n).map { contribution($0, i) }
                switch op {
                case .sum: return make(values.reduce(0, +))
                case .max: return make(values.max()!)
                case .min: return make(values.min()!)
                }
            }
            var buffer = (0..<count).map { make(contribution(me, $0)) }
            try buffer.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: op) }
            check.expectEqual(buffer, want, "allReduce \(op) \(name) x\(count)")

            var async = (0..<count).map { make(contribution(me, $0)) }
            try async.withUnsafeMutableBufferPointer { buf in
                let request = try comm.startAllReduce(buf, op: op)
                while try !request.test() {}
                try request.wait()  // waiting on a finished request is a no-op
            }
            check.expectEqual(async, want, "startAllReduce \(op) \(name) x\(count)")

            let send = (0..<count).map { make(contribution(me, $0)) }
            var received = [T](repeating: make(-1), count: count)
            try send.withUnsafeBufferPointer { s in
                try received.withUnsafeMutableBufferPointer { try comm.startAllReduce(send: s, receive: $0, op: op).wait() }
            }
            check.expectEqual(received, want, "startAllReduce out of place \(op) \(name) x\(count)")
        }
    }

    for block in blocks {
        // reduce-scatter: rank k gets the sum of everyone's block k.
        let send = (0..<block * n).map { make(contribution(me, $0)) }
        let wantShard = (0..<block).map { t in make((0..<n).map { contribution($0, me * block + t) }.reduce(0, +)) }
        for nonBlocking in [false, true] {
            var shard = [T](repeating: make(-1), count: block)
            try send.withUnsafeBufferPointer { s in
                try shard.withUnsafeMutableBufferPointer { r in
                    if nonBlocking { try comm.startReduceScatter(send: s, receive: r, op: .sum).wait() }
                    else { try comm.reduceScatter(send: s, receive: r, op: .sum) }
                }
            }
            check.expectEqual(shard, wantShard, "reduceScatter\(nonBlocking ? " (non-blocking)" : "") \(name) block \(block)")
        }

        // all-gather: everyone gets every rank's block in rank order.
        let mine = (0..<block).map { make(contribution(me, $0)) }
        let wantAll = (0..<n).flatMap { r in (0..<block).map { make(contribution(r, $0)) } }
        for nonBlocking in [false, true] {
            var all = [T](repeating: make(-1), count: block * n)
            try mine.withUnsafeBufferPointer { s in
                try all.withUnsafeMutableBufferPointer { r in
                    if nonBlocking { try comm.startAllGather(send: s, receive: r).wait() }
                    else { try comm.allGather(send: s, receive: r) }
                }
            }
            check.expectEqual(all, wantAll, "allGather\(nonBlocking ? " (non-blocking)" : "") \(name) block \(block)")
        }

        // gather to the last rank.
        let root = n - 1
        var gathered = [T](repeating: make(-1), count: me == root ? block * n : 0)
        try mine.withUnsafeBufferPointer { s in
            try gathered.withUnsafeMutableBufferPointer { r in
                try comm.gather(send: s, receive: me == root ? r : nil, root: root)
            }
        }
        if me == root { check.expectEqual(gathered, wantAll, "gather \(name) block \(block)") }
    }

    // broadcast from every root, blocking and not.
    for root in 0..<n {
        for nonBlocking in [false, true] {
            var buffer = (0..<1001).map { me == root ? make(contribution(root, $0)) : make(-1) }
            try buffer.withUnsafeMutableBufferPointer { b in
                if nonBlocking { try comm.startBroadcast(b, root: root).wait() } else { try comm.broadcast(b, root: root) }
            }
            check.expectEqual(buffer, (0..<1001).map { make(contribution(root, $0)) },
                              "broadcast\(nonBlocking ? " (non-blocking)" : "") \(name) root \(root)")
        }
    }
}

func exerciseAll(comm: Communicator, check: Checker) throws {
    try exercise(Float.self, comm: comm, check: check) { Float($0) }
    try exercise(Double.self, comm: comm, check: check) { $0 * 0.5 }
    try exercise(Int32.self, comm: comm, check: check) { Int32($0) }
    try exercise(Int64.self, comm: comm, check: check) { Int64($0) << 33 }

    // The average of data parallelism.
    var grads = (0..<1001).map { Float(contribution(comm.rank, $0)) }
    try grads.withUnsafeMutableBufferPointer { try comm.allReduceAverage($0) }
    let wantAverage = (0..<1001).map { i in Float((0..<comm.size).map { contribution($0, i) }.reduce(0, +) / Double(comm.size)) }
    check.expect(zip(grads, wantAverage).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }, "allReduceAverage Float")

    // Variable-size bytes: rank r sends (r * 5) % 9 bytes, so rank 0 sends none.
    func bytes(of r: Int) -> [UInt8] { (0..<((r * 5) % 9)).map { UInt8((r * 31 + $0) & 0xff) } }
    let root = comm.size / 2
    let gathered = try comm.gatherBytes(bytes(of: comm.rank), root: root)
    if comm.rank == root {
        check.expect(gathered == (0..<comm.size).map(bytes(of:)), "gatherBytes", "got \(String(describing: gathered))")
    } else {
        check.expect(gathered == nil, "gatherBytes on a non-root returns nil")
    }
    let message = Array("reconfigure 2x2 at step 10".utf8)
    let received = try comm.broadcastBytes(comm.rank == root ? message : [], root: root)
    check.expect(received == message, "broadcastBytes", "got \(received.count) bytes")

    try comm.barrier()

    // Misuse is refused before MPI sees it, on every rank alike.
    var tooSmall = [Float](repeating: 0, count: 1)
    let big = [Float](repeating: 1, count: 3 * comm.size + 1)
    do {
        try big.withUnsafeBufferPointer { s in
            try tooSmall.withUnsafeMutableBufferPointer { try comm.reduceScatter(send: s, receive: $0, op: .sum) }
        }
        check.expect(false, "reduceScatter with a send that is not receive x size throws")
    } catch let error as CollectiveError {
        check.expect(error.description.contains("reduceScatter"), "reduceScatter shape error names the call", error.description)
    }
    do {
        try tooSmall.withUnsafeMutableBufferPointer { try comm.broadcast($0, root: comm.size) }
        check.expect(false, "broadcast from a root outside the communicator throws")
    } catch let error as CollectiveError {
        check.expect(error.description.contains("root \(comm.size)"), "bad root error names the root", error.description)
    }
    // An error MPI itself reports arrives with MPI's error string.
    do {
        _ = try comm.split(color: -7, key: 0)
        check.expect(false, "MPI_Comm_split with a negative color throws")
    } catch let CollectiveError.mpi(call, _, text) {
        check.expect(call == "MPI_Comm_split" && !text.isEmpty && text != "unknown MPI error", "MPI error string", "\(call): \(text)")
    }
}

/// Both groups of every rank contain exactly the ranks the mesh formula says, in order.
func checkGroups(_ mesh: DeviceMesh, check: Checker) throws {
    for (group, want, kind) in [(mesh.replicateGroup, mesh.shape.replicateGroup(ofRank: mesh.rank), "replicate"),
                                (mesh.shardGroup, mesh.shape.shardGroup(ofRank: mesh.rank), "shard")] {
        var members = [Int32](repeating: -1, count: group.size)
        try [Int32(mesh.rank)].withUnsafeBufferPointer { s in
            try members.withUnsafeMutableBufferPointer { try group.allGather(send: s, receive: $0) }
        }
        check.expectEqual(members.map(Int.init), want, "\(kind) group of rank \(mesh.rank) on \(mesh.shape)")
        let (r, s) = mesh.coordinates
        check.expect(group.rank == (kind == "replicate" ? r : s), "\(kind) group rank is the mesh coordinate")
    }
}

var checkers: [Checker] = []
do {
    let world = try MPIRuntime.world()
    let worldCheck = Checker(label: "world of \(world.size)", rank: world.rank)
    try exerciseAll(comm: world, check: worldCheck)
    checkers.append(worldCheck)
    for shape in MeshShape.all(worldSize: world.size) {
        let mesh = try DeviceMesh(shape: shape, world: world)
        let groupCheck = Checker(label: "mesh \(shape)", rank: world.rank)
        try checkGroups(mesh, check: groupCheck)
        try exerciseAll(comm: mesh.replicateGroup, check: groupCheck)
        try exerciseAll(comm: mesh.shardGroup, check: groupCheck)
        checkers.append(groupCheck)
    }
    let failures = try world.allReduce([Int64(checkers.map(\.failures).reduce(0, +))], op: .sum)[0]
    if world.rank == 0 {
        for c in checkers { print("checked \(c.label): \(c.checks) checks on rank 0") }
        print(failures == 0 ? "all collectives correct on \(world.size) ranks" : "\(failures) failed checks across ranks")
    }
    MPIRuntime.finalize()
    exit(failures == 0 ? 0 : 1)
} catch {
    FileHandle.standardError.write("mpi-test-worker: \(error)\n".data(using: .utf8)!)
    exit(1)
}
