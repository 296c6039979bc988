import Collectives
import Mesh
import XCTest

final class DeviceMeshTests: XCTestCase {
    func testSingleProcessMesh() throws {
        let mesh = try DeviceMesh(shape: MeshShape(replicate: 1, shard: 1), world: LocalCommunicator())
        XCTAssertEqual(mesh.replicateGroup.size, 1)
        XCTAssertEqual(mesh.shardGroup.size, 1)
        XCTAssertEqual(mesh.coordinates.replicate, 0)
        XCTAssertEqual(mesh.coordinates.shard, 0)
    }

    func testRefusesAMeshThatDoesNotFillTheWorld() {
        XCTAssertThrowsError(try DeviceMesh(shape: MeshShape(replicate: 2, shard: 1), world: LocalCommunicator())) { error in
            XCTAssertEqual(error as? MeshError, .sizeMismatch(try! MeshShape(replicate: 2, shard: 1), started: 1))
        }
    }
}

/// Every call on the mesh's communicators is traced on its activity board: entered with the
/// communicator's next sequence number, finished when it completes.
final class ActivityTracingTests: XCTestCase {
    func testCallsAreNumberedPerAxisAndFinishWhenTheyComplete() throws {
        let mesh = try DeviceMesh(shape: MeshShape(replicate: 1, shard: 1), world: LocalCommunicator())
        var loss: [Double] = [1.5]
        try loss.withUnsafeMutableBufferPointer { try mesh.world.allReduce($0, op: .sum) }
        try loss.withUnsafeMutableBufferPointer { try mesh.world.allReduce($0, op: .sum) }
        var a = mesh.activity.snapshot
        XCTAssertEqual(a.entered, [2, 0, 0])
        XCTAssertEqual(a.lastCompleted?.operation, .allReduce)
        XCTAssertEqual(a.lastCompleted?.sequence, 2)
        XCTAssertEqual(a.lastCompleted?.bytes, 8)
        XCTAssertNil(a.waitingIn)

        let send: [Float] = [1, 2, 3]
        var receive = [Float](repeating: 0, count: 3)
        let request = try send.withUnsafeBufferPointer { s in
            try receive.withUnsafeMutableBufferPointer { try mesh.shardGroup.startAllGather(send: s, receive: $0) }
        }
        a = mesh.activity.snapshot
        XCTAssertEqual(a.entered(.shard), 1, "started is entered")
        XCTAssertEqual(a.lastCompleted?.axis, .world, "not finished before it is waited on or tested")
        try request.wait()
        a = mesh.activity.snapshot
        XCTAssertEqual(a.lastCompleted, CollectiveCall(operation: .allGather, axis: .shard, group: 0, sequence: 1, bytes: 12,
                                                       startedAt: a.lastCompleted?.startedAt ?? -1))
        XCTAssertNil(a.waitingIn)
    }

    func testPhasesAndStepsAreTheTrainersToSet() throws {
        let board = ActivityBoard()
        XCTAssertEqual(board.snapshot.phase, .starting)
        board.begin(step: 7)
        board.enter(.forward)
        let since = board.snapshot.phaseSince
        board.enter(.forward)
        XCTAssertEqual(board.snapshot.phaseSince, since, "entering the phase it is in changes nothing")
        board.completed(steps: 7)
        XCTAssertEqual(board.snapshot.step, 7)
        XCTAssertEqual(board.snapshot.completedSteps, 7)
        XCTAssertEqual(board.snapshot.phase, .forward)
    }
}
