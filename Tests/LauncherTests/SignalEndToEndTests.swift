import Foundation
import Telemetry
import TestSupport
import XCTest

/// SIGTERM to `meshtop run` under real mpirun (tiny flavor, 2 ranks, checkpoints): the job
/// stops at a step boundary with a checkpoint and exits 0; a second signal kills it at once.
final class SignalEndToEndTests: XCTestCase {
    var folder: URL!
    var metricsPath: String { folder.appendingPathComponent("metrics.jsonl").path }
    var checkpoints: String { folder.appendingPathComponent("ckpt").path }

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder(for: self, "sigterm")
    }

    func start() throws -> BackgroundJob {
        try BackgroundJob([try Products.executable("meshtop"), "run", "--no-tui", "--mesh", "1x2", "--flavor", "tiny", "--seq-len", "32",
                 "--steps", "5000", "--peak-tflops", "0.1", "--checkpoint-dir", checkpoints,
                 "--dump-folder", try dumpFolder(in: folder), "--metrics-file", metricsPath], folder: folder)
    }

    func testSIGTERMStopsWithinTenSecondsWithACheckpointAndNoRankLeft() throws {
        let job = try start()
        defer { job.kill() }
        let hello = try waitFor(job) { events in events.lazy.compactMap { if case .hello(let h) = $0 { return h }; return nil }.first }
        _ = try waitFor(job) { events in events.filter { if case .step = $0 { return true }; return false }.count >= 2 ? true : nil }
        let sent = Date()
        XCTAssertEqual(kill(job.pid, SIGTERM), 0)
        XCTAssertTrue(job.wait(timeout: 10), "meshtop still runs 10 s after SIGTERM")
        XCTAssertLessThan(Date().timeIntervalSince(sent), 10)
        XCTAssertEqual(job.status, 0, job.stderr)
        let events = try TelemetryFileReader.readAll(path: metricsPath).records.map(\.event)
        guard case .done(let done)? = events.last else { return XCTFail("no done event") }
        XCTAssertEqual(done.reason, "stopped")
        let saved = events.compactMap { event -> Telemetry.Checkpoint? in if case .checkpoint(let c) = event { return c }; return nil }
        XCTAssertEqual(saved.map(\.step), [done.summary.steps], "one checkpoint, of the last step")
        let written = try FileManager.default.contentsOfDirectory(atPath: checkpoints)
        XCTAssertTrue(written.contains(String(format: "step-%06d", done.summary.steps)), "\(written)")
        assertNothingLeft(hello)
    }

    /// The ranks are frozen (SIGSTOP) so that the first signal cannot end the run gracefully
    /// before the second arrives: the second must kill the job itself.
    func testASecondSignalKillsTheJobAtOnceLeavingNoRank() throws {
        let job = try start()
        defer { job.kill() }
        let hello = try waitFor(job) { events in events.lazy.compactMap { if case .hello(let h) = $0 { return h }; return nil }.first }
        _ = try waitFor(job) { events in events.contains { if case .step = $0 { return true }; return false } ? true : nil }
        for rank in hello.ranks { XCTAssertEqual(kill(rank.pid, SIGSTOP), 0) }
        kill(job.pid, SIGTERM)
        // The second signal once the first was acted on (two pending signals coalesce into one).
        let seen = Date().addingTimeInterval(10)
        while !job.stderr.contains("asked the ranks to stop") && Date() < seen { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertTrue(job.stderr.contains("asked the ranks to stop"), job.stderr)
        let second = Date()
        kill(job.pid, SIGTERM)
        XCTAssertTrue(job.wait(timeout: 5), "meshtop still runs 5 s after the second signal")
        XCTAssertLessThan(Date().timeIntervalSince(second), 2, "the second signal kills at once, not after the 10 s grace")
        XCTAssertNotEqual(job.status, 0)
        XCTAssertTrue(job.stderr.contains("killing the job"), job.stderr)
        assertNothingLeft(hello)
    }

    // MARK: helpers

    func assertNothingLeft(_ hello: Hello, file: StaticString = #filePath, line: UInt = #line) {
        for rank in hello.ranks {
            XCTAssertFalse(Self.running(rank.pid), "rank \(rank.rank) (pid \(rank.pid)) is still running", file: file, line: line)
        }
        let left = (try? ProcessRunner.run(["pgrep", "-f", folder.path]))?.stdout ?? "pgrep failed"
        XCTAssertEqual(left, "", "processes left: \(left)", file: file, line: line)
    }

    /// Running: a zombie waiting for its parent to reap it has ended.
    static func running(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// Polls the metrics file until `found` gives a value.
    func waitFor<T>(_ job: BackgroundJob, timeout: Double = 60, _ found: ([Event]) -> T?) throws -> T {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end && job.isRunning {
            let events = ((try? TelemetryFileReader.readAll(path: metricsPath).records) ?? []).map(\.event)
            if let value = found(events) { return value }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestSupportError("not seen within \(timeout) s: \(job.stderr)")
    }
}
