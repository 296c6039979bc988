import Foundation
import Planner
import RunSpec
import TestSupport
import XCTest

/// The planner's bytes between hosts against the test hosts' own link counters: per step, for
/// each mesh of 2 hosts x 2 ranks, with mpirun's placement by slot and by node.
final class InterHostBytesTests: XCTestCase {
    func testThePlannersInterHostBytesAreWhatTheLinksCount() throws {
        let hosts = try TestHosts(2)
        defer { try? hosts.down() }
        let folder = try makeTemporaryFolder(for: self, "interhost")
        let workload = Workload(model: .tiny, localBatchSize: 8, seqLen: 64)
        let cases: [(mesh: String, byNode: Bool)] = [("4x1", false), ("2x2", false), ("2x2", true), ("1x4", false)]
        for (mesh, byNode) in cases {
            let shape = try MeshShape.parse(mesh)
            let placement = byNode ? InterHostPrediction.roundRobin(ranks: 4, hosts: 2) : InterHostPrediction.byBlocks(ranks: 4, perHost: 2)
            let predicted = InterHostPrediction.perStep(workload, mesh: shape, hostOfRank: placement)
            // The difference of a 6-step and a 2-step run: 4 steps, without the set-up's traffic.
            let short = try linkBytes(of: mesh, steps: 2, byNode: byNode, hosts: hosts, folder: folder)
            let long = try linkBytes(of: mesh, steps: 6, byNode: byNode, hosts: hosts, folder: folder)
            let measured = Double(long - short) / 4
            print("inter-host bytes per step, \(mesh)\(byNode ? " by node" : ""): measured \(Int(measured)), predicted \(predicted)")
            XCTAssertEqual(measured, Double(predicted), accuracy: 0.05 * Double(predicted), "\(mesh) by node: \(byNode)")
        }
    }

    private func linkBytes(of mesh: String, steps: Int, byNode: Bool, hosts: TestHosts, folder: URL) throws -> Int {
        let before = try hosts.linkBytes()
        var environment = hosts.environment
        if byNode { environment["OMPI_MCA_rmaps_base_mapping_policy"] = "node" }
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--no-tui", "--hostfile", hosts.hostfile,
                                            "--mesh", mesh, "--flavor", "tiny", "--seq-len", "64", "--steps", String(steps),
                                            "--peak-tflops", "0.1", "--dump-folder", folder.appendingPathComponent("out").path],
                                           environment: environment, timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        return try hosts.linkBytes() - before
    }
}
