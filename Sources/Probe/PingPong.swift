import CMPI
import Collectives
import Foundation
import Topology

/// Messages bounced between two ranks with MPI's own point-to-point calls (what the collectives'
/// algorithms are made of): the one-way time of a size is half a round trip. The timing rank
/// (`leads`) sends first and decides the sizes; its partner answers each message and follows.
struct PingPong {
    let world: MPICommunicator
    let peer: Int
    let leads: Bool

    /// The sizes after the latency's: doubling from 64 KiB until one way takes `targetSeconds`
    /// or the message reaches `maxBytes`, so a slow link is not kept busy for long and a fast
    /// one still gets a message whose time is mostly bandwidth.
    struct Schedule: Sendable {
        var latencyBytes = 8
        var latencyRepetitions = 20
        var firstBytes = 64 << 10
        var maxBytes = 16 << 20
        var repetitions = 3
        var targetSeconds = 0.04
    }

    /// The leader's samples (the partner returns none).
    func run(_ schedule: Schedule) throws -> [Topology.Sample] {
        var samples: [Topology.Sample] = []
        var bytes = schedule.latencyBytes
        var repetitions = schedule.latencyRepetitions
        while bytes > 0 {
            let times = try bounce(bytes: bytes, repetitions: repetitions)
            var next = 0
            if leads {
                let sorted = times.sorted()
                samples.append(Topology.Sample(bytes: bytes, bestSeconds: sorted[0], medianSeconds: sorted[sorted.count / 2]))
                if bytes == schedule.latencyBytes { next = schedule.firstBytes } else if sorted[0] < schedule.targetSeconds && bytes < schedule.maxBytes {
                    next = min(bytes * 2, schedule.maxBytes)
                }
            }
            // The leader says the next size (0: done); both sides then agree on it.
            var word = [Int64(next)]
            if leads { try send(&word, count: 8) } else { try receive(&word, count: 8) }
            bytes = Int(word[0])
            repetitions = schedule.repetitions
        }
        return samples
    }

    /// Both ranks sending at once (MPI_Sendrecv), from the largest ping-pong size (the leader's
    /// `largest`; the partner learns it) up to 4 times it, doubling: the seconds each exchange
    /// took, leader only. A link can carry less each way when both ways are busy (a shaper's
    /// queue holds one way's acknowledgements behind the other's data), and the collectives'
    /// exchanges are both ways.
    func bothWays(largest: Int, repetitions: Int) throws -> [Topology.Sample] {
        var size = [Int64(largest)]
        if leads { try send(&size, count: 8) } else { try receive(&size, count: 8) }
        var samples: [Topology.Sample] = []
        for bytes in [1, 2, 4].map({ Int(size[0]) * $0 }) where bytes > 0 {
            var out = [UInt8](repeating: 1, count: bytes), back = [UInt8](repeating: 0, count: bytes)
            var times: [Double] = []
            for index in 0 ... repetitions {
                let start = MPIRuntime.wallTime()
                let code = out.withUnsafeBytes { o in
                    back.withUnsafeMutableBytes { b in
                        MPI_Sendrecv(o.baseAddress, Int32(bytes), mt_uint8(), Int32(peer), 8,
                                     b.baseAddress, Int32(bytes), mt_uint8(), Int32(peer), 8, world.handle, mt_status_ignore())
                    }
                }
                guard code == mt_success() else { throw ProbeError("MPI_Sendrecv of \(bytes) bytes with rank \(peer) failed (MPI error \(code))") }
                if index > 0 { times.append(MPIRuntime.wallTime() - start) }
            }
            let sorted = times.sorted()
            samples.append(Topology.Sample(bytes: bytes, bestSeconds: sorted[0], medianSeconds: sorted[sorted.count / 2]))
        }
        return leads ? samples : []
    }

    /// One round trip to warm the path (connections are set up lazily), then `repetitions`
    /// timed ones; one-way seconds each.
    private func bounce(bytes: Int, repetitions: Int) throws -> [Double] {
        var buffer = [UInt8](repeating: 1, count: bytes)
        var times: [Double] = []
        for index in 0 ... repetitions {
            let start = MPIRuntime.wallTime()
            if leads {
                try send(&buffer, count: bytes)
                try receive(&buffer, count: bytes)
            } else {
                try receive(&buffer, count: bytes)
                try send(&buffer, count: bytes)
            }
            if index > 0 { times.append((MPIRuntime.wallTime() - start) / 2) }
        }
        return times
    }

    private func send<T>(_ buffer: inout [T], count bytes: Int) throws {
        let code = buffer.withUnsafeBytes { MPI_Send($0.baseAddress, Int32(bytes), mt_uint8(), Int32(peer), 7, world.handle) }
        guard code == mt_success() else { throw ProbeError("MPI_Send of \(bytes) bytes to rank \(peer) failed (MPI error \(code))") }
    }

    private func receive<T>(_ buffer: inout [T], count bytes: Int) throws {
        let code = buffer.withUnsafeMutableBytes {
            MPI_Recv($0.baseAddress, Int32(bytes), mt_uint8(), Int32(peer), 7, world.handle, mt_status_ignore())
        }
        guard code == mt_success() else { throw ProbeError("MPI_Recv of \(bytes) bytes from rank \(peer) failed (MPI error \(code))") }
    }
}

public struct ProbeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
