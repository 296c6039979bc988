import Foundation
import Telemetry
import TestSupport
import XCTest

/// `meshtop run` inside a real Slurm allocation on two test hosts: no hostfile, the world size
/// and the default mesh from the allocation, the ranks on both hosts.
final class SlurmRunTests: XCTestCase {
    private var hosts: TestHosts!
    private var slurm: TestSlurm!
    private var folder: URL!

    override func setUpWithError() throws {
        guard TestSlurm.isInstalled else { throw XCTSkip("Slurm is not installed (scripts/install-deps.sh installs it)") }
        hosts = try TestHosts(2)
        slurm = try TestSlurm(on: hosts)
        folder = try makeTemporaryFolder(for: self, "slurm")
    }

    override func tearDownWithError() throws {
        try slurm?.down()
        try hosts?.down()
    }

    private var options: [String] {
        ["--no-tui", "--flavor", "tiny", "--seq-len", "32", "--steps", "4", "--peak-tflops", "0.1",
         "--dump-folder", folder.appendingPathComponent("out").path]
    }

    func testSallocRunsTheRanksOnBothHostsOfTheAllocation() throws {
        let metrics = folder.appendingPathComponent("salloc.jsonl").path
        let result = try ProcessRunner.run(["salloc", "-N2", "-n4", try Products.executable("meshtop"), "run"] + options
                                           + ["--metrics-file", metrics], environment: slurm.environment, timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        try checkRan(metrics)
    }

    func testAnSbatchScriptRunsMeshtop() throws {
        let metrics = folder.appendingPathComponent("sbatch.jsonl").path
        let script = folder.appendingPathComponent("job.sh").path
        let command = ([try Products.executable("meshtop"), "run"] + options + ["--metrics-file", metrics]).joined(separator: " ")
        try "#!/bin/sh\n#SBATCH -N 2\n#SBATCH -n 4\nexec \(command)\n".write(toFile: script, atomically: true, encoding: .utf8)
        let output = folder.appendingPathComponent("job.out").path
        let result = try ProcessRunner.run(["sbatch", "--wait", "-o", output, script], environment: slurm.environment, timeout: 300)
        XCTAssertEqual(result.status, 0, "\(result.stderr)\n\((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        try checkRan(metrics)
    }

    /// Four steps, four ranks, two on each host, on (2, 2): the allocation's nodes by its tasks per node.
    private func checkRan(_ metrics: String) throws {
        let records = try TelemetryFileReader.readAll(path: metrics).records
        let hello = try XCTUnwrap(records.lazy.compactMap { r -> Hello? in if case .hello(let h) = r.event { return h }; return nil }.first)
        XCTAssertEqual([hello.mesh.replicate, hello.mesh.shard], [2, 2])
        let placement = Dictionary(grouping: hello.ranks, by: \.host).mapValues { $0.map(\.rank).sorted() }
        XCTAssertEqual(placement.values.sorted { $0[0] < $1[0] }, [[0, 1], [2, 3]], "\(placement)")
        let steps = records.filter { if case .step = $0.event { return true }; return false }
        XCTAssertEqual(steps.count, 4)
    }
}
