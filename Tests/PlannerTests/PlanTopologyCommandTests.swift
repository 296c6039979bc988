import Foundation
import Planner
import RunSpec
import TestSupport
import Topology
import XCTest

/// `meshtop plan --topology`: the time table and the time in --json, from a topology file written
/// here (the probe's own run is MultiHostTests.ProbeTests).
final class PlanTopologyCommandTests: XCTestCase {
    /// Two hosts of two ranks: 40 GF/s a rank, 25 MB/s between hosts, 2 GB/s within.
    static func topology(interHost: Bool = true) -> Topology {
        func link(_ ranks: [Int], _ latency: Double, _ bandwidth: Double) -> Topology.Link {
            Topology.Link(ranks: ranks, latencySeconds: latency, bandwidthBytesPerSecond: bandwidth,
                          samples: [.init(bytes: 8, bestSeconds: latency, medianSeconds: latency)])
        }
        return Topology(measuredAt: 0, hosts: [.init(name: "a", ranks: 2, cores: 2), .init(name: "b", ranks: 2, cores: 2)],
                        compute: .init(shape: "512x768x256", coreFlopsAlone: 80e9, rankFlopsAllBusy: [40e9, 40e9, 40e9, 40e9]),
                        intraHost: link([0, 1], 2e-6, 2e9), interHost: interHost ? link([0, 2], 60e-6, 25e6) : nil)
    }

    func plan(_ arguments: [String], topology: Topology? = topology()) throws -> ProcessResult {
        let folder = try makeTemporaryFolder(for: self, "plan-topology")
        var options = arguments
        if let topology {
            let file = folder.appendingPathComponent("topology.json").path
            try TopologyFile.write(topology, to: file)
            options += ["--topology", file]
        }
        return try ProcessRunner.run([try Products.executable("meshtop"), "plan"] + options, timeout: 60)
    }

    func testTheTimeTableRanksEveryMeshAndPlacement() throws {
        let result = try plan(["--np", "4", "--hosts", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdoutLines
        let start = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("Step time from ") })
        XCTAssertTrue(lines[start].contains("40.0 GF/s a rank"), lines[start])
        XCTAssertTrue(lines[start].contains("between hosts 25.0 MB/s (25.0 each way both ways), 60 us"), lines[start])
        let header = lines[start + 1].split(separator: " ").map(String.init)
        XCTAssertEqual(Array(header.prefix(3)), ["mesh", "strategy", "place"])
        let rows = lines[(start + 2)...(start + 7)].map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(rows.map { "\($0[0]) \($0[2])" }, ["4x1 slot", "4x1 node", "2x2 slot", "2x2 node", "1x4 slot", "1x4 node"])
        let rank = header.firstIndex(of: "rank")!, step = header.firstIndex(of: "step_s")!
        XCTAssertEqual(rows.map { Int($0[rank])! }.sorted(), [1, 2, 3, 4, 5, 6])
        let byRank = rows.sorted { Int($0[rank])! < Int($1[rank])! }.map { Double($0[step])! }
        XCTAssertEqual(byRank, byRank.sorted(), "rank 1 is the shortest step")
        // The bytes across hosts by collective add up to the memory table's x_hosts (by slot).
        let memoryHeader = lines[1].split(separator: " ").map(String.init)
        let xHosts = memoryHeader.firstIndex(of: "x_hosts")!
        let memoryRows = lines[2...4].map { $0.split(separator: " ").map(String.init) }
        for (memoryRow, timeRow) in zip(memoryRows, [rows[0], rows[2], rows[4]]) {
            let crossing = ["x_red", "x_gat", "x_sct"].map { Double(timeRow[header.firstIndex(of: $0)!])! }.reduce(0, +)
            XCTAssertEqual(crossing, Double(memoryRow[xHosts])!, accuracy: 0.02, memoryRow[0])
        }
    }

    func testJSONCarriesTheTimeOfEachMeshAndPlacement() throws {
        let result = try plan(["--np", "4", "--hosts", "2", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try result.stdoutLines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(rows.count, 6)
        XCTAssertEqual(rows.map { $0["placement"] as? String }, ["slot", "node", "slot", "node", "slot", "node"])
        XCTAssertEqual(Set(rows.compactMap { $0["time_rank"] as? Int }), [1, 2, 3, 4, 5, 6])
        for row in rows {
            let time = try XCTUnwrap(row["time"] as? [String: Any], "\(row)")
            let compute = try XCTUnwrap(time["compute_seconds"] as? Double), exposed = try XCTUnwrap(time["exposed_seconds"] as? Double)
            let step = try XCTUnwrap(time["step_seconds"] as? Double), tokens = try XCTUnwrap(time["tokens_per_second"] as? Double)
            XCTAssertEqual(step, compute + exposed, accuracy: 1e-9)
            XCTAssertEqual(tokens, 4 * 8 * 256 / step, accuracy: 1e-6)
            // debugmodel: its FLOPs a token x 2,048 tokens over 40 GF/s x the share a step reaches.
            let flops = ModelConfig.debugmodel.flopsPerToken(seqLen: 256) * 2048
            XCTAssertEqual(compute, flops / (40e9 * TimeModel.defaultShareOfSgemm), accuracy: 1e-6)
            let inter = try XCTUnwrap(time["inter_host_bytes_by_kind"] as? [String: Int])
            XCTAssertEqual(inter.values.reduce(0, +), row["inter_host_bytes_per_step"] as? Int)
        }
    }

    func testWithoutATopologyOrALinkTimeIsNotPredicted() throws {
        let none = try plan(["--np", "4"], topology: nil)
        XCTAssertEqual(none.status, 0, none.stderr)
        XCTAssertTrue(none.stdoutLines.last?.hasPrefix("Step time: not predicted") == true, none.stdout)
        let oneHost = try plan(["--np", "4", "--hosts", "2"], topology: Self.topology(interHost: false))
        XCTAssertEqual(oneHost.status, 0, oneHost.stderr)
        XCTAssertTrue(oneHost.stdout.contains("Not predicted: the topology has no link between hosts"), oneHost.stdout)
        // On one host it needs only the host's own link.
        let local = try plan(["--np", "4"], topology: Self.topology(interHost: false))
        XCTAssertFalse(local.stdout.contains("Not predicted"), local.stdout)
    }

    func testAHostfileGivesTheHostsAndTheirSlots() throws {
        let folder = try makeTemporaryFolder(for: self, "plan-hostfile")
        let hostfile = folder.appendingPathComponent("hosts").path
        try "a slots=2\nb slots=2\n".write(toFile: hostfile, atomically: true, encoding: .utf8)
        let byFile = try plan(["--np", "4", "--hostfile", hostfile, "--json"])
        let byCount = try plan(["--np", "4", "--hosts", "2", "--json"])
        XCTAssertEqual(byFile.status, 0, byFile.stderr)
        XCTAssertEqual(byFile.stdout, byCount.stdout)
    }
}
