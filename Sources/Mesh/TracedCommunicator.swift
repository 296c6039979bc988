import Collectives
import RunSpec

/// A communicator that tells the activity board about every call: entered (with the
/// communicator's sequence number), blocked in, finished. The hang board compares these across
/// the ranks of a group to name the rank the others wait for.
final class TracedCommunicator: Communicator {
    let inner: Communicator
    let axis: MeshAxis
    let group: Int
    let board: ActivityBoard

    init(_ inner: Communicator, axis: MeshAxis, group: Int, board: ActivityBoard) {
        self.inner = inner
        self.axis = axis
        self.group = group
        self.board = board
    }

    var rank: Int { inner.rank }
    var size: Int { inner.size }

    /// Traced on the same axis: the mesh builds its groups from the untraced world.
    func split(color: Int, key: Int) throws -> Communicator {
        TracedCommunicator(try inner.split(color: color, key: key), axis: axis, group: group, board: board)
    }

    private func blocking<R>(_ operation: CollectiveOperation, bytes: Int, _ body: () throws -> R) rethrows -> R {
        let call = board.enter(operation, axis: axis, group: group, bytes: bytes)
        board.waiting(in: call)
        defer { board.finished(call) }
        return try body()
    }

    private func started(_ operation: CollectiveOperation, bytes: Int,
                         _ body: () throws -> CollectiveRequest) rethrows -> CollectiveRequest {
        let call = board.enter(operation, axis: axis, group: group, bytes: bytes)
        return TracedRequest(try body(), call: call, board: board)
    }

    func barrier() throws { try blocking(.barrier, bytes: 0) { try inner.barrier() } }

    func allReduce<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws {
        try blocking(.allReduce, bytes: bytes(buffer.count, T.self)) { try inner.allReduce(buffer, op: op) }
    }

    func startAllReduce<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws -> CollectiveRequest {
        try started(.allReduce, bytes: bytes(buffer.count, T.self)) { try inner.startAllReduce(buffer, op: op) }
    }

    func startAllReduce<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>,
                                             op: ReduceOp) throws -> CollectiveRequest {
        try started(.allReduce, bytes: bytes(send.count, T.self)) { try inner.startAllReduce(send: send, receive: receive, op: op) }
    }

    func reduceScatter<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws {
        try blocking(.reduceScatter, bytes: bytes(send.count, T.self)) { try inner.reduceScatter(send: send, receive: receive, op: op) }
    }

    func startReduceScatter<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>,
                                                 op: ReduceOp) throws -> CollectiveRequest {
        try started(.reduceScatter, bytes: bytes(send.count, T.self)) { try inner.startReduceScatter(send: send, receive: receive, op: op) }
    }

    func allGather<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>) throws {
        try blocking(.allGather, bytes: bytes(receive.count, T.self)) { try inner.allGather(send: send, receive: receive) }
    }

    func startAllGather<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>) throws -> CollectiveRequest {
        try started(.allGather, bytes: bytes(receive.count, T.self)) { try inner.startAllGather(send: send, receive: receive) }
    }

    func broadcast<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws {
        try blocking(.broadcast, bytes: bytes(buffer.count, T.self)) { try inner.broadcast(buffer, root: root) }
    }

    func startBroadcast<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws -> CollectiveRequest {
        try started(.broadcast, bytes: bytes(buffer.count, T.self)) { try inner.startBroadcast(buffer, root: root) }
    }

    func gather<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>?, root: Int) throws {
        try blocking(.gather, bytes: bytes(send.count, T.self)) { try inner.gather(send: send, receive: receive, root: root) }
    }

    func gatherBytes(_ bytes: [UInt8], root: Int) throws -> [[UInt8]]? {
        try blocking(.gather, bytes: bytes.count) { try inner.gatherBytes(bytes, root: root) }
    }

    func broadcastBytes(_ bytes: [UInt8], root: Int) throws -> [UInt8] {
        try blocking(.broadcast, bytes: bytes.count) { try inner.broadcastBytes(bytes, root: root) }
    }

    func abort(code: Int32) -> Never { inner.abort(code: code) }

    private func bytes<T>(_ count: Int, _: T.Type) -> Int { count * MemoryLayout<T>.stride }
}

/// A started call: waiting on it is blocking in it; finding it done (wait or test) finishes it.
private final class TracedRequest: CollectiveRequest {
    let inner: CollectiveRequest
    let call: CollectiveCall
    let board: ActivityBoard
    private var finished = false

    init(_ inner: CollectiveRequest, call: CollectiveCall, board: ActivityBoard) {
        self.inner = inner
        self.call = call
        self.board = board
    }

    func wait() throws {
        guard !finished else { return try inner.wait() }
        board.waiting(in: call)
        defer { finish() }
        try inner.wait()
    }

    func test() throws -> Bool {
        let done = try inner.test()
        if done { finish() }
        return done
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        board.finished(call)
    }
}
