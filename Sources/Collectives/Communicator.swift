// The collective operations the data-parallel strategies need, independent of how they run.
// `MPICommunicator` runs them over Open MPI; `LocalCommunicator` is the world of one process.
//
// Buffers are raw pointers into memory the caller owns (the trainer allocates everything once).
// For the non-blocking forms the caller keeps both buffers alive and untouched until `wait()`.

/// How values from every rank are combined.
public enum ReduceOp: String, Sendable {
    case sum, max, min
}

/// Element types the collectives move. The kind tells an implementation how to describe them.
public enum ScalarKind: Sendable {
    case float32, float64, int32, int64, uint8
}

public protocol CollectiveScalar: Numeric, Comparable {
    static var scalarKind: ScalarKind { get }
}

extension Float: CollectiveScalar { public static var scalarKind: ScalarKind { .float32 } }
extension Double: CollectiveScalar { public static var scalarKind: ScalarKind { .float64 } }
extension Int32: CollectiveScalar { public static var scalarKind: ScalarKind { .int32 } }
extension Int64: CollectiveScalar { public static var scalarKind: ScalarKind { .int64 } }
extension UInt8: CollectiveScalar { public static var scalarKind: ScalarKind { .uint8 } }

/// A collective that was started and may still be running.
public protocol CollectiveRequest: AnyObject {
    /// Blocks until the operation has finished and its output buffer holds the result.
    func wait() throws
    /// True once finished; also gives a progress engine the chance to move the operation on.
    func test() throws -> Bool
}

public enum CollectiveError: Error, CustomStringConvertible, Equatable {
    /// An MPI call returned an error code; `message` is MPI's own error string.
    case mpi(call: String, code: Int32, message: String)
    /// The buffers handed to a collective do not fit the operation.
    case invalidArguments(String)

    public var description: String {
        switch self {
        case let .mpi(call, code, message): return "\(call) failed (MPI error \(code)): \(message)"
        case let .invalidArguments(text): return text
        }
    }
}

public protocol Communicator: AnyObject {
    var rank: Int { get }
    var size: Int { get }

    /// Ranks with the same `color` form one new communicator, ordered by `key` (MPI_Comm_split).
    func split(color: Int, key: Int) throws -> Communicator

    func barrier() throws

    /// Combines `buffer` across all ranks, in place.
    func allReduce<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws
    func startAllReduce<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws -> CollectiveRequest
    /// Out of place: `receive` gets the reduction of everyone's `send` (same counts). Open MPI
    /// runs a non-blocking in-place all-reduce as recursive doubling (each rank sends log2(n)
    /// full buffers); out of place it can use the ring (2(n-1)/n).
    func startAllReduce<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>,
                                             op: ReduceOp) throws -> CollectiveRequest

    /// `send` holds `size` equal blocks; rank i receives the reduction of everyone's block i.
    func reduceScatter<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws
    func startReduceScatter<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws -> CollectiveRequest

    /// Every rank contributes `send`; `receive` gets all contributions in rank order.
    func allGather<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>) throws
    func startAllGather<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>) throws -> CollectiveRequest

    /// Copies `root`'s buffer into everyone's.
    func broadcast<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws
    func startBroadcast<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws -> CollectiveRequest

    /// Equal-size gather: on `root`, `receive` (count * size elements) gets the blocks in rank order;
    /// other ranks pass nil.
    func gather<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>?, root: Int) throws

    /// Variable-size gather of byte strings: `root` gets every rank's bytes in rank order, others nil.
    func gatherBytes(_ bytes: [UInt8], root: Int) throws -> [[UInt8]]?

    /// Variable-size broadcast of a byte string from `root`; every rank returns root's bytes.
    func broadcastBytes(_ bytes: [UInt8], root: Int) throws -> [UInt8]

    /// Ends every process of the job at once (MPI_Abort); for failures a rank cannot recover from.
    func abort(code: Int32) -> Never
}

extension Communicator {
    /// The mean over ranks, in place: the gradient average of data parallelism.
    public func allReduceAverage<T: CollectiveScalar & BinaryFloatingPoint>(_ buffer: UnsafeMutableBufferPointer<T>) throws {
        try allReduce(buffer, op: .sum)
        if size > 1 { scale(buffer, by: 1 / T(size)) }
    }

    /// Convenience for small arrays (metrics, flags): returns the reduced copy.
    public func allReduce<T: CollectiveScalar>(_ values: [T], op: ReduceOp) throws -> [T] {
        var copy = values
        try copy.withUnsafeMutableBufferPointer { try allReduce($0, op: op) }
        return copy
    }
}

@inline(__always)
func scale<T: BinaryFloatingPoint>(_ buffer: UnsafeMutableBufferPointer<T>, by factor: T) {
    for i in buffer.indices { buffer[i] *= factor }
}

/// Checks shared by every implementation, so both reject the same misuse with the same words.
enum Shapes {
    static func reduceScatter(send: Int, receive: Int, size: Int) throws {
        guard send == receive * size else {
            throw CollectiveError.invalidArguments(
                "reduceScatter: send has \(send) elements, expected receive (\(receive)) x ranks (\(size)) = \(receive * size)")
        }
    }
    static func allGather(send: Int, receive: Int, size: Int) throws {
        guard receive == send * size else {
            throw CollectiveError.invalidArguments(
                "allGather: receive has \(receive) elements, expected send (\(send)) x ranks (\(size)) = \(send * size)")
        }
    }
    static func sameCount(_ call: String, send: Int, receive: Int) throws {
        guard send == receive else {
            throw CollectiveError.invalidArguments("\(call): send has \(send) elements, receive \(receive); they must match")
        }
    }
    static func root(_ root: Int, size: Int) throws {
        guard (0..<size).contains(root) else {
            throw CollectiveError.invalidArguments("root \(root) is not a rank of a communicator of size \(size)")
        }
    }
    static func gather(send: Int, receive: Int?, size: Int, isRoot: Bool) throws {
        guard isRoot else { return }
        guard let receive, receive == send * size else {
            throw CollectiveError.invalidArguments(
                "gather: root's receive must hold send (\(send)) x ranks (\(size)) = \(send * size) elements, has \(receive.map(String.init) ?? "none")")
        }
    }
}
