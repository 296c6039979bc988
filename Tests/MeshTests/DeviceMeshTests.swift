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
