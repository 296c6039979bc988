#if canImport(Glibc)
import Glibc
#endif

/// The world of a single process: every collective is the identity or a copy.
/// It lets the trainer and its tests run with no MPI at all; results equal a 1-rank MPI run.
public final class LocalCommunicator: Communicator {
    public init() {}

    public var rank: Int { 0 }
    public var size: Int { 1 }

    public func split(color: Int, key: Int) throws -> Communicator { LocalCommunicator() }
    public func barrier() throws {}

    public func allReduce<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws {}
    public func startAllReduce<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws -> CollectiveRequest {
        CompletedRequest()
    }

    public func startAllReduce<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>,
                                                    op: ReduceOp) throws -> CollectiveRequest {
        try Shapes.sameCount("startAllReduce", send: send.count, receive: receive.count)
        copy(send, into: receive)
        return CompletedRequest()
    }

    public func reduceScatter<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws {
        try Shapes.reduceScatter(send: send.count, receive: receive.count, size: 1)
        copy(send, into: receive)
    }
    public func startReduceScatter<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws -> CollectiveRequest {
        try reduceScatter(send: send, receive: receive, op: op)
        return CompletedRequest()
    }

    public func allGather<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>) throws {
        try Shapes.allGather(send: send.count, receive: receive.count, size: 1)
        copy(send, into: receive)
    }
    public func startAllGather<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>) throws -> CollectiveRequest {
        try allGather(send: send, receive: receive)
        return CompletedRequest()
    }

    public func broadcast<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws {
        try Shapes.root(root, size: 1)
    }
    public func startBroadcast<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws -> CollectiveRequest {
        try broadcast(buffer, root: root)
        return CompletedRequest()
    }

    public func gather<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>?, root: Int) throws {
        try Shapes.root(root, size: 1)
        try Shapes.gather(send: send.count, receive: receive?.count, size: 1, isRoot: true)
        copy(send, into: receive!)
    }

    public func gatherBytes(_ bytes: [UInt8], root: Int) throws -> [[UInt8]]? {
        try Shapes.root(root, size: 1)
        return [bytes]
    }

    public func broadcastBytes(_ bytes: [UInt8], root: Int) throws -> [UInt8] {
        try Shapes.root(root, size: 1)
        return bytes
    }

    public func abort(code: Int32) -> Never { exit(code) }

    private func copy<T>(_ source: UnsafeBufferPointer<T>, into target: UnsafeMutableBufferPointer<T>) {
        guard let from = source.baseAddress, let to = target.baseAddress, from != UnsafePointer(to) else { return }
        to.update(from: from, count: source.count)
    }
}

/// A request for an operation that finished when it was started.
final class CompletedRequest: CollectiveRequest {
    func wait() throws {}
    func test() throws -> Bool { true }
}
