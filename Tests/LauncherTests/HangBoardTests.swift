import Foundation
import Telemetry
import TestSupport
import XCTest

/// A rank stopped mid-run (SIGSTOP), headless: the hang report names it, the call the others
/// wait in (axis, group, sequence number) and for how long, a JSON copy is written, and SIGCONT
/// clears it; with --on-hang stop the job is torn down instead.
final class HangBoardTests: XCTestCase {
    private let call = try! NSRegularExpression(
        pattern: "(all-reduce|all-gather|reduce-scatter|broadcast|gather|barrier) #[0-9]+ on (replicate group [0-9]+|shard group [0-9]+|the world); ranks? [0-9, ]+ waits? for it since [0-9.]+ s")

    private func start(_ extra: [String], folder: URL, hangAfter: [String] = ["--hang-after", "3"]) throws -> (BackgroundJob, String) {
        let metrics = folder.appendingPathComponent("m.jsonl").path
        let job = try BackgroundJob([try Products.executable("meshtop"), "run", "--no-tui", "--mesh", "2x2", "--flavor", "tiny",
                                     "--seq-len", "32", "--peak-tflops", "0.1"] + hangAfter + ["--metrics-file", metrics,
                                     "--dump-folder", folder.appendingPathComponent("out").path] + extra, folder: folder)
        return (job, metrics)
    }

    /// Rank 3's pid, once step `step` has arrived.
    private func rank3(after step: Int, _ metrics: String, _ job: BackgroundJob) throws -> pid_t {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && job.isRunning {
            let records = (try? TelemetryFileReader.readAll(path: metrics).records) ?? []
            let hello = records.lazy.compactMap { if case .hello(let h) = $0.event { return h }; return nil }.first
            let reached = records.contains { if case .step(let s) = $0.event { return s.step >= step }; return false }
            if reached, let pid = hello?.ranks.first(where: { $0.rank == 3 })?.pid { return pid }
            usleep(50_000)
        }
        throw TestSupportError("no step \(step) within 120 s: \(job.stderr)")
    }

    private func waitForLine(_ prefix: String, _ job: BackgroundJob, timeout: Double) -> (line: String, at: Date)? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = job.stderr.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return (String(line), Date()) }
            usleep(20_000)
        }
        return nil
    }

    func testAStoppedRankIsNamedWithTheCallTheOthersWaitInAndSIGCONTClearsIt() throws {
        let folder = try makeTemporaryFolder(for: self, "hang-wait")
        let (job, metrics) = try start(["--steps", "150"], folder: folder)
        defer { job.kill() }
        let pid = try rank3(after: 8, metrics, job)
        kill(pid, SIGSTOP)
        let stoppedAt = Date()
        let found = waitForLine("meshtop: hung: ", job, timeout: 30)
        kill(pid, SIGCONT)
        let (line, at) = try XCTUnwrap(found, job.stderr)
        XCTAssertLessThanOrEqual(at.timeIntervalSince(stoppedAt), 3 + 2, "within the threshold plus 2 s: \(line)")
        XCTAssertTrue(line.hasPrefix("meshtop: hung: rank 3 "), line)
        XCTAssertNotNil(call.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), line)

        let written = try XCTUnwrap(waitForLine("meshtop: hang report: ", job, timeout: 10), job.stderr)
        let reports = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("out").path)
            .filter { $0.hasPrefix("hang-") && $0.hasSuffix(".json") }
        guard reports.count == 1 else { return XCTFail("one report expected: \(reports)") }
        XCTAssertTrue(written.line.hasSuffix(reports[0]), written.line)
        let data = try Data(contentsOf: folder.appendingPathComponent("out/\(reports[0])"))
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let saved = try XCTUnwrap(report["headline"] as? String)
        XCTAssertTrue(line.contains("hung: " + saved + " (no step for "), "the file says what was printed: \(saved) / \(line)")
        XCTAssertEqual((report["ranks"] as? [[String: Any]])?.count, 4)

        XCTAssertNotNil(waitForLine("meshtop: the run moves again: step ", job, timeout: 30), job.stderr)
        XCTAssertTrue(job.wait(timeout: 120))
        XCTAssertEqual(job.status, 0, job.stderr)
    }

    /// With the default --hang-after (30 s at least), a group waiting for a stalled peer is a hang
    /// after the divergence limit (10 s for steps this short), named with the peer.
    func testRanksWaitingForAPeerThatNeverEntersAreAHangBeforeTheStepLimit() throws {
        let folder = try makeTemporaryFolder(for: self, "hang-diverged")
        let (job, metrics) = try start(["--steps", "5000", "--debug-stall-rank", "3:8", "--on-hang", "stop"], folder: folder,
                                       hangAfter: [])
        defer { job.kill() }
        let pid = try rank3(after: 7, metrics, job)
        defer { kill(pid, SIGCONT) }
        let (line, at) = try XCTUnwrap(waitForLine("meshtop: hung: ", job, timeout: 40), job.stderr)
        XCTAssertTrue(line.hasPrefix("meshtop: hung: rank 3 "), line)
        XCTAssertNotNil(call.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), line)
        XCTAssertNotNil(line.range(of: #"; a group waited 1[0-9] s for a peer, past 10 s\)$"#, options: .regularExpression), line)
        let stalled = try XCTUnwrap(Double(line.split(separator: "(no step for ").last?.split(separator: " ").first ?? ""), line)
        XCTAssertLessThan(stalled, 30, "before the step limit: \(line)")
        XCTAssertTrue(job.wait(timeout: 30), "--on-hang stop tears it down")
        XCTAssertNotEqual(job.status, 0)
        _ = at
    }

    func testOnHangStopTearsTheJobDownAndLeavesNoRank() throws {
        let folder = try makeTemporaryFolder(for: self, "hang-stop")
        let (job, metrics) = try start(["--steps", "5000", "--on-hang", "stop"], folder: folder)
        defer { job.kill() }
        let pid = try rank3(after: 5, metrics, job)
        let hello = try TelemetryFileReader.readAll(path: metrics).records.lazy
            .compactMap { if case .hello(let h) = $0.event { return h }; return nil }.first
        kill(pid, SIGSTOP)
        XCTAssertTrue(job.wait(timeout: 30), "torn down")
        let left = (hello?.ranks ?? []).filter { Self.running($0.pid) }.map(\.rank)
        XCTAssertEqual(left, [], "no rank left when meshtop returned")
        XCTAssertNotEqual(job.status, 0)
        XCTAssertTrue(job.stderr.contains("meshtop: the run is hung and --on-hang is stop: tearing the job down"), job.stderr)
    }

    /// Alive and not a zombie (ranks whose mpirun died are reparented; here nobody may reap them).
    static func running(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }
}

/// The same on a real terminal (tmux): the hang board takes the loss chart's place, names the
/// stopped rank, and goes when it continues.
final class HangBoardTerminalTests: XCTestCase {
    func testTheDashboardShowsTheHangAndClearsIt() throws {
        let folder = try makeTemporaryFolder(for: self, "hang-tui")
        let metrics = folder.appendingPathComponent("m.jsonl").path
        let exitFile = folder.appendingPathComponent("exit").path
        let tmux = try TmuxSession(width: 160, height: 48, environment: [
            "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "NO_COLOR": "",
        ])
        try tmux.type("\(try Products.executable("meshtop")) run --mesh 2x2 --flavor tiny --seq-len 32 --steps 5000 --peak-tflops 0.1"
                      + " --hang-after 3 --metrics-file \(metrics) --dump-folder \(folder.path)/out; echo $? > \(exitFile)", enter: true)
        _ = try tmux.waitFor(text: "Loss", timeout: 90)
        var pid: Int32?
        let deadline = Date().addingTimeInterval(90)
        while pid == nil && Date() < deadline {
            let records = (try? TelemetryFileReader.readAll(path: metrics).records) ?? []
            let stepped = records.contains { if case .step(let s) = $0.event { return s.step >= 8 }; return false }
            let hello = records.lazy.compactMap { if case .hello(let h) = $0.event { return h }; return nil }.first
            if stepped { pid = hello?.ranks.first { $0.rank == 3 }?.pid } else { usleep(50_000) }
        }
        let rank3 = try XCTUnwrap(pid, "no step 8")
        kill(rank3, SIGSTOP)
        let stoppedAt = Date()
        let screen = try tmux.waitFor("the hang board naming rank 3", timeout: 20) { lines in
            lines.contains { $0.contains("Hung · no step for") }
                && lines.contains { $0.contains("│rank 3 (silent: stopped?) has not entered") || $0.contains("│rank 3 stopped inside") }
        }
        XCTAssertLessThanOrEqual(Date().timeIntervalSince(stoppedAt), 3 + 2 + 1, "threshold + 2 s (+ tmux's capture)")
        XCTAssertTrue(screen.contains { $0.contains("hung ") }, "the header says hung: \(screen.joined(separator: "\n"))")
        kill(rank3, SIGCONT)
        _ = try tmux.waitFor("the board gone", timeout: 30) { lines in !lines.contains { $0.contains("Hung · no step for") } }
        XCTAssertEqual(try tmux.quitMeshtop(exitFile: exitFile), "0")
    }
}
