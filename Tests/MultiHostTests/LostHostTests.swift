import CheckpointFiles
import Foundation
import Telemetry
import TestSupport
import XCTest

/// A host lost mid-run (every process of the job on it killed): the front end names the host and
/// its ranks within 10 s from their heartbeat connections, ends with a non-zero status, leaves no
/// process on any host, and the newest checkpoint resumes on the remaining host with the
/// uninterrupted run's losses.
final class LostHostTests: XCTestCase {
    func testALostHostIsNamedTheJobEndsEverywhereAndTheOtherHostResumes() throws {
        let hosts = try TestHosts(2)
        defer { try? hosts.down() }
        let folder = try makeTemporaryFolder(for: self, "lost-host")
        let checkpoints = folder.appendingPathComponent("ckpt").path
        let common = ["--flavor", "tiny", "--seq-len", "32", "--peak-tflops", "0.1", "--steps", "60",
                      "--dump-folder", folder.appendingPathComponent("out").path]
        let metrics = folder.appendingPathComponent("killed.jsonl").path
        let job = try BackgroundJob([try Products.executable("meshtop"), "run", "--no-tui", "--hostfile", hosts.hostfile,
                                     "--mesh", "2x2", "--metrics-file", metrics, "--checkpoint-dir", checkpoints,
                                     "--checkpoint-every", "5",
                                     // Rank 0 spins 8x its compute (numbers unchanged), so the kill
                                     // lands mid-run: tiny's 60 steps otherwise take ~2 s here.
                                     "--debug-slow-rank", "0:8"] + common,
                                    folder: folder, environment: hosts.environment)
        defer { job.kill() }
        try waitForStep(12, metrics, job)

        let victims = try hosts.processes(host: 2)
        XCTAssertFalse(victims.isEmpty)
        let killedAt = Date()
        for pid in victims { kill(pid, SIGKILL) }
        let report = "host \(try hosts.name(2)) (ranks 2, 3) lost"
        var reportedAt: Date?
        while job.isRunning || reportedAt == nil, Date() < killedAt.addingTimeInterval(30) {
            if reportedAt == nil, job.stderr.contains(report) { reportedAt = Date() }
            if !job.isRunning && reportedAt == nil { break }
            usleep(20_000)
        }
        XCTAssertFalse(job.isRunning, "meshtop ended")
        let left = try hosts.processes()
        XCTAssertEqual(left, [], "no process of the job on any host once meshtop returned")
        let said = try XCTUnwrap(reportedAt, "no line naming the host: \(job.stderr)")
        XCTAssertLessThan(said.timeIntervalSince(killedAt), 10, job.stderr)
        print(String(format: "lost host reported %.2f s after the kill; meshtop said:\n", said.timeIntervalSince(killedAt))
              + job.stderr.split(separator: "\n").filter { $0.hasPrefix("meshtop:") }.joined(separator: "\n"))
        XCTAssertNotEqual(job.status, 0)

        let newest = try XCTUnwrap(CheckpointStore(path: checkpoints).complete().last)
        XCTAssertGreaterThanOrEqual(newest.step, 10)
        XCTAssertNoThrow(try CheckpointReader(url: newest.url).verifyAll(), "the newest checkpoint is intact")

        // The remaining host's two ranks take the whole global batch (2 x 2 x 8 = 2 x 16).
        let remaining = folder.appendingPathComponent("host1").path
        let firstLine = try String(contentsOfFile: hosts.hostfile, encoding: .utf8).split(separator: "\n")[0]
        try (firstLine + "\n").write(toFile: remaining, atomically: true, encoding: .utf8)
        let resumed = try meshtopLosses(["--hostfile", remaining, "--mesh", "1x2", "--local-batch-size", "16",
                                  "--checkpoint-dir", checkpoints, "--resume-step", String(newest.step)] + common,
                                 hosts.environment, folder, "resumed")
        let straight = try meshtopLosses(["--np", "4", "--mesh", "2x2"] + common, hosts.environment, folder, "straight")
        XCTAssertEqual(resumed.keys.sorted(), Array(newest.step + 1 ... 60))
        for step in newest.step + 1 ... 60 {
            XCTAssertEqual(resumed[step] ?? .nan, straight[step] ?? -1, accuracy: 1e-5, "step \(step)")
        }
    }
}

/// A host whose link goes down mid-run: named within 10 s from its ranks' silence, the job torn
/// down with a non-zero status, and the cut-off ranks end by their lifeline (10 s without
/// acknowledgement) although nothing can reach them.
final class LinkDownTests: XCTestCase {
    func testAHostCutOffIsNamedAndItsRanksEndByTheirLifeline() throws {
        let hosts = try TestHosts(2)
        defer { try? hosts.down() }
        let folder = try makeTemporaryFolder(for: self, "link-down")
        let metrics = folder.appendingPathComponent("m.jsonl").path
        let job = try BackgroundJob([try Products.executable("meshtop"), "run", "--no-tui", "--hostfile", hosts.hostfile,
                                     "--mesh", "2x2", "--flavor", "tiny", "--seq-len", "32", "--peak-tflops", "0.1", "--steps", "5000",
                                     "--metrics-file", metrics, "--dump-folder", folder.appendingPathComponent("out").path],
                                    folder: folder, environment: hosts.environment)
        defer { job.kill() }
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && job.isRunning {
            let records = (try? TelemetryFileReader.readAll(path: metrics).records) ?? []
            if records.contains(where: { if case .step(let s) = $0.event { return s.step >= 5 }; return false }) { break }
            usleep(50_000)
        }
        try hosts.link(2, up: false)
        defer { try? hosts.link(2, up: true) }
        let downAt = Date()
        let report = "host \(try hosts.name(2)) (ranks 2, 3) lost"
        var reportedAt: Date?
        while reportedAt == nil && Date() < downAt.addingTimeInterval(30) {
            if job.stderr.contains(report) { reportedAt = Date() } else { usleep(50_000) }
        }
        let said = try XCTUnwrap(reportedAt, job.stderr)
        XCTAssertLessThan(said.timeIntervalSince(downAt), 10, job.stderr)
        XCTAssertTrue(job.stderr.contains("no heartbeat for "), job.stderr)
        XCTAssertTrue(job.wait(timeout: 60), "meshtop ended")
        XCTAssertNotEqual(job.status, 0)
        XCTAssertEqual(try hosts.processes(host: 1), [], "nothing left on the host meshtop could reach")
        // Over the dead link only the ranks' own lifeline can end them: 10 s without acknowledgement.
        var left = try hosts.processes(host: 2)
        while !left.isEmpty && Date() < downAt.addingTimeInterval(30) {
            usleep(200_000)
            left = try hosts.processes(host: 2)
        }
        XCTAssertEqual(left, [], "the cut-off host's processes ended by themselves, with its link still down")
        print(String(format: "link down: reported after %.1f s, cut-off host empty after %.1f s", said.timeIntervalSince(downAt),
                     Date().timeIntervalSince(downAt)))
    }
}
