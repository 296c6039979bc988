import Launcher
import RunSpec
import TestSupport
import XCTest

/// Open MPI's hostfile as the launcher reads it, and the mesh it gives by default.
final class HostfileTests: XCTestCase {
    func testHostsAndSlotsInMpirunsOrder() throws {
        let file = try Hostfile(text: "# two nodes\nnode1 slots=2\n\nnode2 slots=2 max_slots=4  # the second\nnode1\n", name: "h")
        XCTAssertEqual(file.hosts, [Hostfile.Host(name: "node1", slots: 3), Hostfile.Host(name: "node2", slots: 2)],
                       "a host named twice adds its slots; no slots= is one")
        XCTAssertEqual(file.slots, 5)
        XCTAssertFalse(file.isLocal)
        XCTAssertTrue(try Hostfile(text: "localhost slots=2\n127.0.0.1\n", name: "h").isLocal)
    }

    func testBadHostfilesAreRefusedNamingTheLine() {
        XCTAssertThrowsError(try Hostfile(text: "# nothing\n", name: "h")) { XCTAssertEqual("\($0)", "--hostfile h: no hosts in it") }
        XCTAssertThrowsError(try Hostfile(text: "a slots=2\nb slots=0\n", name: "h")) {
            XCTAssertEqual("\($0)", "--hostfile h: line 2: slots=0: slots must be at least 1")
        }
    }

    /// One rank per slot; with equal slots, each replica's shards on one host.
    func testTheDefaultMeshKeepsShardsWithinAHost() throws {
        let two = try Hostfile(text: "a slots=2\nb slots=2\n", name: "h")
        XCTAssertEqual(try MeshChoice.resolve(np: nil, mesh: nil, cores: 8, hostfile: two), meshShape(2, 2))
        XCTAssertEqual(try MeshChoice.resolve(np: 4, mesh: nil, cores: 8, hostfile: two), meshShape(2, 2))
        XCTAssertEqual(try MeshChoice.resolve(np: 3, mesh: nil, cores: 8, hostfile: two), meshShape(3, 1),
                       "ranks that do not fill the hosts: replicate")
        XCTAssertEqual(try MeshChoice.resolve(np: nil, mesh: meshShape(1, 4), cores: 8, hostfile: two), meshShape(1, 4))
        let uneven = try Hostfile(text: "a slots=3\nb slots=1\n", name: "h")
        XCTAssertEqual(try MeshChoice.resolve(np: nil, mesh: nil, cores: 8, hostfile: uneven), meshShape(4, 1))
    }

    func testSlurmsTasksPerNode() throws {
        XCTAssertEqual(try SlurmAllocation.tasksPerNode("2(x3),1"), [2, 2, 2, 1])
        XCTAssertEqual(try SlurmAllocation.tasksPerNode("4"), [4])
        XCTAssertThrowsError(try SlurmAllocation.tasksPerNode("2(y3)"))
        XCTAssertNil(try SlurmAllocation.hosts(environment: [:]), "outside an allocation")
    }
}
