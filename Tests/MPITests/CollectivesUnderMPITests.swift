import Mesh
import TestSupport
import XCTest

/// Every collective, checked inside real MPI ranks (oversubscribed on this 2-core machine) on the
/// world and on the sub-groups of every mesh that fits it. The worker compares each result with
/// values it computes itself; see Tests/MPIWorker.
final class CollectivesUnderMPITests: XCTestCase {
    func testTwoRanks() throws { try runWorker(ranks: 2) }
    func testFourRanks() throws { try runWorker(ranks: 4) }

    private func runWorker(ranks: Int) throws {
        let worker = try Products.executable("mpi-test-worker")
        let result = try MPIRun.run(ranks: ranks, [worker], timeout: 300)
        print(result.stdout, terminator: "")
        XCTAssertFalse(result.timedOut, "mpirun -np \(ranks) timed out")
        XCTAssertEqual(result.status, 0, "stderr:\n\(result.stderr)")
        XCTAssertTrue(result.stdout.contains("all collectives correct on \(ranks) ranks"), result.stdout)
        // One summary line for the world and one for each mesh of the world size.
        let meshes = MeshShape.all(worldSize: ranks).map(\.description)
        for mesh in meshes {
            XCTAssertTrue(result.stdout.contains("checked mesh \(mesh):"), "no checks reported for mesh \(mesh)")
        }
    }
}
