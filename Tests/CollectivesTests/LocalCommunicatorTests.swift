import Collectives
import XCTest

/// The world of one process: each collective must leave what one MPI rank would see.
final class LocalCommunicatorTests: XCTestCase {
    let comm = LocalCommunicator()

    func testReductionsAreIdentity() throws {
        var values: [Float] = [1.5, -2, 3]
        try values.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .sum) }
        XCTAssertEqual(values, [1.5, -2, 3])
        try values.withUnsafeMutableBufferPointer { try comm.allReduceAverage($0) }
        XCTAssertEqual(values, [1.5, -2, 3])
        XCTAssertEqual(try comm.allReduce([Int64(7)], op: .max), [7])
    }

    func testScatterAndGatherCopy() throws {
        let send: [Double] = [1, 2, 3, 4]
        var receive = [Double](repeating: 0, count: 4)
        try send.withUnsafeBufferPointer { s in
            try receive.withUnsafeMutableBufferPointer { try comm.reduceScatter(send: s, receive: $0, op: .sum) }
        }
        XCTAssertEqual(receive, send)
        receive = [0, 0, 0, 0]
        try send.withUnsafeBufferPointer { s in
            try receive.withUnsafeMutableBufferPointer { try comm.startAllGather(send: s, receive: $0).wait() }
        }
        XCTAssertEqual(receive, send)
        XCTAssertEqual(try comm.gatherBytes([9, 8], root: 0), [[9, 8]])
        XCTAssertEqual(try comm.broadcastBytes([1, 2, 3], root: 0), [1, 2, 3])
    }

    func testShapeErrorsMatchMPIs() throws {
        let send: [Float] = [1, 2, 3]
        var receive: [Float] = [0, 0]
        XCTAssertThrowsError(try send.withUnsafeBufferPointer { s in
            try receive.withUnsafeMutableBufferPointer { try comm.allGather(send: s, receive: $0) }
        }) { error in
            XCTAssertEqual("\(error)", "allGather: receive has 2 elements, expected send (3) x ranks (1) = 3")
        }
        XCTAssertThrowsError(try receive.withUnsafeMutableBufferPointer { try comm.broadcast($0, root: 1) })
    }

    func testSplitGivesAnotherWorldOfOne() throws {
        let child = try comm.split(color: 3, key: 0)
        XCTAssertEqual(child.size, 1)
        XCTAssertEqual(child.rank, 0)
    }
}
