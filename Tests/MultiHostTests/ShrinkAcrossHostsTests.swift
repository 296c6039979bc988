import Foundation
import Telemetry
import TestSupport
import XCTest

/// `--on-failure shrink` across 2 test hosts: every process of the job on host 2 killed mid-run;
/// the job goes on on host 1's two ranks from the newest checkpoint, with the losses of an
/// uninterrupted 2x2 run, and no process of any launch is left on any host when meshtop returns.
final class ShrinkAcrossHostsTests: XCTestCase {
    func testALostHostShrinksOntoTheOtherHostsRanksWithTheSameLosses() throws {
        let hosts = try TestHosts(2)
        defer { try? hosts.down() }
        let folder = try makeTemporaryFolder(for: self, "shrink-hosts")
        let common = ["--flavor", "tiny", "--seq-len", "32", "--peak-tflops", "0.1", "--steps", "40",
                      "--dump-folder", folder.appendingPathComponent("out").path]
        let metrics = folder.appendingPathComponent("shrunk.jsonl").path
        let job = try BackgroundJob([try Products.executable("meshtop"), "run", "--no-tui", "--hostfile", hosts.hostfile,
                                     "--mesh", "2x2", "--metrics-file", metrics, "--on-failure", "shrink",
                                     "--checkpoint-dir", folder.appendingPathComponent("ckpt").path,
                                     "--checkpoint-every", "5"] + common,
                                    folder: folder, environment: hosts.environment)
        defer { job.kill() }
        try waitForStep(Int.random(in: 6...20), metrics, job)
        for pid in try hosts.processes(host: 2) { kill(pid, SIGKILL) }
        XCTAssertTrue(job.wait(timeout: 240), "meshtop did not return: \(job.stderr)")
        XCTAssertEqual(try hosts.processes(), [], "no process of the job on any host once meshtop returned")
        XCTAssertEqual(job.status, 0, job.stderr)
        print("meshtop said:\n" + job.stderr.split(separator: "\n").filter { $0.hasPrefix("meshtop:") && !$0.contains("straggler") }
            .joined(separator: "\n"))

        let records = try TelemetryFileReader.readAll(path: metrics).records
        let hellos = records.compactMap { r -> Hello? in if case .hello(let h) = r.event { return h }; return nil }
        XCTAssertEqual(hellos.count, 2, job.stderr)
        XCTAssertEqual(hellos.last?.mesh, MeshLayout(replicate: 1, shard: 2, strategy: "fsdp"))
        XCTAssertEqual(Set(hellos.last?.ranks.map(\.host) ?? []), [try hosts.name(1)], "only host 1's ranks go on")
        XCTAssertTrue(job.stderr.contains("host \(try hosts.name(2)) (ranks 2, 3) lost at step"), job.stderr)

        let straight = try meshtopLosses(["--np", "4", "--mesh", "2x2"] + common, hosts.environment, folder, "straight")
        let steps = records.compactMap { r -> Telemetry.Step? in if case .step(let s) = r.event { return s }; return nil }
        XCTAssertEqual(Set(steps.map(\.step)), Set(1...40))
        for step in steps {
            XCTAssertEqual(step.loss, straight[step.step] ?? .nan, accuracy: 1e-5, "step \(step.step)")
        }
    }
}
