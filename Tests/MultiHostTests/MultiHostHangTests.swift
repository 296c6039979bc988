import Foundation
import Telemetry
import TestSupport
import XCTest

/// The hang report across two test hosts: rank 3 (on the second host) stopped, named from its
/// heartbeat over the hosts' link within the threshold plus 2 s; SIGCONT clears it.
final class MultiHostHangTests: XCTestCase {
    func testAStoppedRankOnTheOtherHostIsNamed() throws {
        let hosts = try TestHosts(2)
        defer { try? hosts.down() }
        let folder = try makeTemporaryFolder(for: self, "mh-hang")
        let metrics = folder.appendingPathComponent("m.jsonl").path
        let job = try BackgroundJob([try Products.executable("meshtop"), "run", "--no-tui", "--hostfile", hosts.hostfile,
                                     "--mesh", "2x2", "--flavor", "tiny", "--seq-len", "32", "--peak-tflops", "0.1", "--steps", "150",
                                     "--hang-after", "3", "--metrics-file", metrics, "--dump-folder", folder.appendingPathComponent("out").path],
                                    folder: folder, environment: hosts.environment)
        defer { job.kill() }
        var rank3: RankIdentity?
        let deadline = Date().addingTimeInterval(120)
        while rank3 == nil && Date() < deadline && job.isRunning {
            let records = (try? TelemetryFileReader.readAll(path: metrics).records) ?? []
            let stepped = records.contains { if case .step(let s) = $0.event { return s.step >= 8 }; return false }
            let hello = records.lazy.compactMap { if case .hello(let h) = $0.event { return h }; return nil }.first
            if stepped { rank3 = hello?.ranks.first { $0.rank == 3 } } else { usleep(50_000) }
        }
        let target = try XCTUnwrap(rank3, job.stderr)
        XCTAssertEqual(target.host, try hosts.name(2), "rank 3 runs on the second host")
        kill(target.pid, SIGSTOP)
        let stoppedAt = Date()
        var line: String?
        while line == nil && Date() < stoppedAt.addingTimeInterval(30) {
            line = job.stderr.split(separator: "\n").first { $0.hasPrefix("meshtop: hung: ") }.map(String.init)
            if line == nil { usleep(20_000) }
        }
        let seenAt = Date()
        kill(target.pid, SIGCONT)
        let hung = try XCTUnwrap(line, job.stderr)
        XCTAssertLessThanOrEqual(seenAt.timeIntervalSince(stoppedAt), 3 + 2, hung)
        XCTAssertTrue(hung.hasPrefix("meshtop: hung: rank 3 "), hung)
        XCTAssertTrue(hung.contains(" on shard group ") || hung.contains(" on replicate group ") || hung.contains(" on the world"), hung)
        XCTAssertTrue(job.wait(timeout: 120))
        XCTAssertEqual(job.status, 0, job.stderr)
        XCTAssertTrue(job.stderr.contains("meshtop: the run moves again: step "), job.stderr)
        XCTAssertEqual(try hosts.processes(), [])
    }
}

/// The straggler check across two test hosts: rank 3, on the second host, computing twice as
/// long, is named by step 3 with the group that waits for it.
final class MultiHostStragglerTests: XCTestCase {
    func testASlowRankOnTheOtherHostIsNamed() throws {
        let hosts = try TestHosts(2)
        defer { try? hosts.down() }
        let folder = try makeTemporaryFolder(for: self, "mh-straggler")
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--no-tui", "--hostfile", hosts.hostfile,
                                            "--mesh", "2x2", "--flavor", "tiny", "--seq-len", "64", "--peak-tflops", "0.1",
                                            "--steps", "8", "--debug-slow-rank", "3:2.0",
                                            "--dump-folder", folder.appendingPathComponent("out").path],
                                           environment: hosts.environment, timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        let said = try XCTUnwrap(result.stderr.split(separator: "\n").first { $0.hasPrefix("meshtop: straggler at step ") }, result.stderr)
        let step = Int(said.dropFirst("meshtop: straggler at step ".count).prefix { $0.isNumber }) ?? 99
        XCTAssertLessThanOrEqual(step, 3, String(said))
        XCTAssertTrue(said.contains(": rank 3: compute ") && said.contains(" a step in ") && said.hasSuffix(" for it"), String(said))
        XCTAssertEqual(try hosts.processes(), [])
    }
}
