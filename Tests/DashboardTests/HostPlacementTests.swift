import Dashboard
import Telemetry
import XCTest

/// Which host each rank is on, and which of the mesh's groups cross hosts.
final class HostPlacementTests: XCTestCase {
    private func ranks(_ hosts: [String]) -> [RankIdentity] {
        hosts.enumerated().map { RankIdentity(rank: $0.offset, host: $0.element, pid: 1) }
    }

    func testShardsWithinHostsAndReplicasAcrossThem() {
        let placement = HostPlacement(ranks(["a", "a", "b", "b"]))
        XCTAssertTrue(placement.isMultiHost)
        XCTAssertEqual(placement.hosts, [.init(name: "a", ranks: [0, 1]), .init(name: "b", ranks: [2, 3])])
        XCTAssertEqual(placement.line(replicate: 2, shard: 2),
                       "ranks on 2 hosts: a 0-1, b 2-3; shard groups within hosts, replicate groups across hosts")
        XCTAssertEqual(placement.line(replicate: 1, shard: 4),
                       "ranks on 2 hosts: a 0-1, b 2-3; shard groups across hosts, replicate groups within hosts")
        XCTAssertEqual(placement.line(replicate: 4, shard: 1),
                       "ranks on 2 hosts: a 0-1, b 2-3; shard groups within hosts, replicate groups across hosts")
    }

    func testInterleavedPlacementPutsEveryShardGroupAcrossHosts() {
        let placement = HostPlacement(ranks(["a", "b", "a", "b", "c", "c"]))
        XCTAssertEqual(placement.hosts.map(\.name), ["a", "b", "c"], "in the order of their first rank")
        XCTAssertTrue(placement.crossing(replicate: 3, shard: 2) == (2, 2), "rows 0 and 1 mix a and b; column groups mix all")
        XCTAssertEqual(placement.line(replicate: 3, shard: 2),
                       "ranks on 3 hosts: a 0, 2, b 1, 3, c 4-5; 2 of 3 shard groups across hosts, replicate groups across hosts")
        XCTAssertFalse(HostPlacement(ranks(["a", "a"])).isMultiHost)
    }

    /// A run of 2 replicas on 2 hosts of 4 ranks (the fixtures put ranks 0-3 on node0, 4-7 on node1):
    /// the mesh panel counts the hosts, the memory panel adds each host's resident memory against its own.
    func testTheDashboardShowsTheHostsAndTheirMemory() {
        var inputs = [Fixtures.hello(replicate: 2, shard: 4, steps: 20, time: Fixtures.start)]
        for n in 1 ... 3 { inputs.append(Fixtures.step(n, world: 8, shard: 4, time: Fixtures.start + Double(n))) }
        let lines = render(Fixtures.state(inputs), width: 160, height: 48).lines
        XCTAssertTrue(lines.contains { $0.contains("Mesh [2, 4] HSDP · 2 hosts") }, lines.joined(separator: "\n"))
        let totals = lines.first { $0.contains("hosts node0 ") } ?? ""
        XCTAssertTrue(totals.contains("node0 ") && totals.contains("node1 "), totals)
        XCTAssertTrue(totals.contains("/16.0G"), "each host's own memory: \(totals)")
        XCTAssertTrue(lines.contains { $0.contains("rank 0 (r0, s0) node0") }, lines.joined(separator: "\n"))
    }
}
