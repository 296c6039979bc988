import CMPI
#if canImport(Glibc)
import Glibc
#endif

/// The process's MPI library: initialised once, finalised once (MPI allows no second MPI_Init).
public enum MPIRuntime {
    nonisolated(unsafe) private static var cachedWorld: MPICommunicator?

    public static var isInitialized: Bool {
        var flag: Int32 = 0
        MPI_Initialized(&flag)
        return flag != 0
    }

    /// Initialises MPI (a singleton world of size 1 when not started by mpirun) and returns
    /// MPI_COMM_WORLD with errors returned to Swift instead of aborting the job.
    public static func world() throws -> MPICommunicator {
        if let cachedWorld { return cachedWorld }
        if !isInitialized {
            preferBandwidthOptimalAlgorithms()
            var provided: Int32 = 0
            try check(MPI_Init_thread(nil, nil, mt_thread_funneled(), &provided), "MPI_Init_thread")
        }
        try check(MPI_Comm_set_errhandler(mt_comm_world(), mt_errors_return()), "MPI_Comm_set_errhandler")
        let world = try MPICommunicator(handle: mt_comm_world(), owned: false)
        cachedWorld = world
        return world
    }

    /// For two ranks Open MPI's default reduce-scatter is a reduce to rank 0 and a scatter: rank 1
    /// sends the whole buffer. The butterfly sends each rank's (n-1)/n of it, the least possible
    /// and what the communication figures assume. Settings made in the environment win.
    static let bandwidthOptimalDefaults = [
        ("OMPI_MCA_coll_tuned_use_dynamic_rules", "1"),
        ("OMPI_MCA_coll_tuned_reduce_scatter_block_algorithm", "4"),  // butterfly
    ]

    private static func preferBandwidthOptimalAlgorithms() {
        for (name, value) in bandwidthOptimalDefaults { setenv(name, value, 0) }
    }

    /// Finalises MPI if it was initialised and not yet finalised.
    public static func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if isInitialized && finalized == 0 { MPI_Finalize() }
    }

    /// Seconds on MPI's wall clock.
    public static func wallTime() -> Double { MPI_Wtime() }

    static func check(_ code: Int32, _ call: String) throws {
        guard code != mt_success() else { return }
        throw CollectiveError.mpi(call: call, code: code, message: errorString(code))
    }

    static func errorString(_ code: Int32) -> String {
        var text = [CChar](repeating: 0, count: Int(mt_max_error_string()) + 1)
        var length: Int32 = 0
        guard MPI_Error_string(code, &text, &length) == mt_success() else { return "unknown MPI error" }
        return String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A communicator over Open MPI: MPI_COMM_WORLD or one split from it.
public final class MPICommunicator: Communicator {
    public let handle: MPI_Comm
    public let rank: Int
    public let size: Int
    private let owned: Bool

    init(handle: MPI_Comm, owned: Bool) throws {
        self.handle = handle
        self.owned = owned
        var rank: Int32 = 0, size: Int32 = 0
        try MPIRuntime.check(MPI_Comm_rank(handle, &rank), "MPI_Comm_rank")
        try MPIRuntime.check(MPI_Comm_size(handle, &size), "MPI_Comm_size")
        self.rank = Int(rank)
        self.size = Int(size)
    }

    deinit {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if owned && finalized == 0 {
            var comm: MPI_Comm? = handle
            MPI_Comm_free(&comm)
        }
    }

    public func split(color: Int, key: Int) throws -> Communicator {
        var child: MPI_Comm?
        try MPIRuntime.check(MPI_Comm_split(handle, Int32(color), Int32(key), &child), "MPI_Comm_split")
        guard let child else { throw CollectiveError.invalidArguments("MPI_Comm_split returned no communicator") }
        return try MPICommunicator(handle: child, owned: true)
    }

    public func barrier() throws {
        try MPIRuntime.check(MPI_Barrier(handle), "MPI_Barrier")
    }

    // MARK: all-reduce

    public func allReduce<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws {
        try MPIRuntime.check(MPI_Allreduce(mt_in_place(), buffer.baseAddress, try count(buffer.count),
                                           datatype(T.self), mpiOp(op), handle), "MPI_Allreduce")
    }

    public func startAllReduce<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws -> CollectiveRequest {
        let request = MPIRequest(call: "MPI_Iallreduce")
        try MPIRuntime.check(MPI_Iallreduce(mt_in_place(), buffer.baseAddress, try count(buffer.count),
                                            datatype(T.self), mpiOp(op), handle, &request.handle), "MPI_Iallreduce")
        return request
    }

    public func startAllReduce<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>,
                                                    op: ReduceOp) throws -> CollectiveRequest {
        try Shapes.sameCount("startAllReduce", send: send.count, receive: receive.count)
        let request = MPIRequest(call: "MPI_Iallreduce")
        try MPIRuntime.check(MPI_Iallreduce(send.baseAddress, receive.baseAddress, try count(send.count),
                                            datatype(T.self), mpiOp(op), handle, &request.handle), "MPI_Iallreduce")
        return request
    }

    // MARK: reduce-scatter

    public func reduceScatter<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws {
        try Shapes.reduceScatter(send: send.count, receive: receive.count, size: size)
        try MPIRuntime.check(MPI_Reduce_scatter_block(send.baseAddress, receive.baseAddress, try count(receive.count),
                                                      datatype(T.self), mpiOp(op), handle), "MPI_Reduce_scatter_block")
    }

    public func startReduceScatter<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws -> CollectiveRequest {
        try Shapes.reduceScatter(send: send.count, receive: receive.count, size: size)
        let request = MPIRequest(call: "MPI_Ireduce_scatter_block")
        try MPIRuntime.check(MPI_Ireduce_scatter_block(send.baseAddress, receive.baseAddress, try count(receive.count),
                                                       datatype(T.self), mpiOp(op), handle, &request.handle),
                             "MPI_Ireduce_scatter_block")
        return request
    }

    // MARK: all-gather

    public func allGather<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>) throws {
        try Shapes.allGather(send: send.count, receive: receive.count, size: size)
        let n = try count(send.count)
        try MPIRuntime.check(MPI_Allgather(send.baseAddress, n, datatype(T.self), receive.baseAddress, n,
                                           datatype(T.self), handle), "MPI_Allgather")
    }

    public func startAllGather<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>) throws -> CollectiveRequest {
        try Shapes.allGather(send: send.count, receive: receive.count, size: size)
        let n = try count(send.count)
        let request = MPIRequest(call: "MPI_Iallgather")
        try MPIRuntime.check(MPI_Iallgather(send.baseAddress, n, datatype(T.self), receive.baseAddress, n,
                                            datatype(T.self), handle, &request.handle), "MPI_Iallgather")
        return request
    }

    // MARK: broadcast and gather

    public func broadcast<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws {
        try Shapes.root(root, size: size)
        try MPIRuntime.check(MPI_Bcast(buffer.baseAddress, try count(buffer.count), datatype(T.self), Int32(root), handle),
                             "MPI_Bcast")
    }

    public func startBroadcast<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws -> CollectiveRequest {
        try Shapes.root(root, size: size)
        let request = MPIRequest(call: "MPI_Ibcast")
        try MPIRuntime.check(MPI_Ibcast(buffer.baseAddress, try count(buffer.count), datatype(T.self), Int32(root),
                                        handle, &request.handle), "MPI_Ibcast")
        return request
    }

    public func gather<T: CollectiveScalar>(send: UnsafeBufferPointer<T>, receive: UnsafeMutableBufferPointer<T>?, root: Int) throws {
        try Shapes.root(root, size: size)
        try Shapes.gather(send: send.count, receive: receive?.count, size: size, isRoot: rank == root)
        let n = try count(send.count)
        try MPIRuntime.check(MPI_Gather(send.baseAddress, n, datatype(T.self), receive?.baseAddress, n,
                                        datatype(T.self), Int32(root), handle), "MPI_Gather")
    }

    public func gatherBytes(_ bytes: [UInt8], root: Int) throws -> [[UInt8]]? {
        try Shapes.root(root, size: size)
        var myCount = try count(bytes.count)
        var counts = [Int32](repeating: 0, count: rank == root ? size : 0)
        try MPIRuntime.check(MPI_Gather(&myCount, 1, mt_int32(), &counts, 1, mt_int32(), Int32(root), handle),
                             "MPI_Gather")
        var offsets = [Int32](repeating: 0, count: counts.count)
        var total = 0
        for i in counts.indices { offsets[i] = Int32(total); total += Int(counts[i]) }
        var all = [UInt8](repeating: 0, count: total)
        try bytes.withUnsafeBufferPointer { mine in
            try MPIRuntime.check(MPI_Gatherv(mine.baseAddress, myCount, mt_uint8(), &all, &counts, &offsets,
                                             mt_uint8(), Int32(root), handle), "MPI_Gatherv")
        }
        guard rank == root else { return nil }
        return counts.indices.map { i in Array(all[Int(offsets[i]) ..< Int(offsets[i]) + Int(counts[i])]) }
    }

    public func broadcastBytes(_ bytes: [UInt8], root: Int) throws -> [UInt8] {
        try Shapes.root(root, size: size)
        var length = [Int64(bytes.count)]
        try length.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
        var data = rank == root ? bytes : [UInt8](repeating: 0, count: Int(length[0]))
        try data.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
        return data
    }

    public func abort(code: Int32) -> Never {
        MPI_Abort(handle, code)
        exit(code)
    }

    // MARK: helpers

    private func count(_ n: Int) throws -> Int32 {
        guard n <= Int(Int32.max) else {
            throw CollectiveError.invalidArguments("a buffer of \(n) elements exceeds MPI's 32-bit count")
        }
        return Int32(n)
    }

    private func datatype<T: CollectiveScalar>(_: T.Type) -> MPI_Datatype {
        switch T.scalarKind {
        case .float32: return mt_float()
        case .float64: return mt_double()
        case .int32: return mt_int32()
        case .int64: return mt_int64()
        case .uint8: return mt_uint8()
        }
    }

    private func mpiOp(_ op: ReduceOp) -> MPI_Op {
        switch op {
        case .sum: return mt_op_sum()
        case .max: return mt_op_max()
        case .min: return mt_op_min()
        }
    }
}

/// An MPI non-blocking collective in flight.
final class MPIRequest: CollectiveRequest {
    var handle: MPI_Request?
    private let call: String
    private var done = false

    init(call: String) { self.call = call }

    func wait() throws {
        guard !done else { return }
        try MPIRuntime.check(MPI_Wait(&handle, mt_status_ignore()), "MPI_Wait(\(call))")
        done = true
    }

    func test() throws -> Bool {
        guard !done else { return true }
        var flag: Int32 = 0
        try MPIRuntime.check(MPI_Test(&handle, &flag, mt_status_ignore()), "MPI_Test(\(call))")
        done = flag != 0
        return done
    }

    // A request dropped unfinished would leave MPI writing into memory its owner may reuse.
    deinit { if !done { _ = try? wait() } }
}
