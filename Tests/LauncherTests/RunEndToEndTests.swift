import Foundation
import Telemetry
import TestSupport
import XCTest

/// `meshtop run` end to end under real mpirun: the tiny flavor, short sequences, few steps.
final class RunEndToEndTests: XCTestCase {
    var folder: URL!
    /// `--dump-folder`: inside `folder`, it marks this test's processes.
    var dump: String!

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder(for: self, "launch")
        dump = try dumpFolder(in: folder)
    }

    /// The options of a small run.
    func options(mesh: String, steps: Int, _ extra: [String] = []) -> [String] {
        ["--no-tui", "--mesh", mesh, "--flavor", "tiny", "--seq-len", "32", "--steps", String(steps),
         "--peak-tflops", "0.1", "--dump-folder", dump,
         "--metrics-file", metricsPath] + extra
    }

    var metricsPath: String { folder.appendingPathComponent("metrics.jsonl").path }

    func records() throws -> [TelemetryRecord] { try TelemetryFileReader.readAll(path: metricsPath).records }

    func testFourRanksOnHSDPRecordEveryStepWithEveryRankAndDone() throws {
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "run"] + options(mesh: "2x2", steps: 20),
                                           timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        let printed = result.stdoutLines.filter { $0.hasPrefix("step:") }.map { line -> String in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return String(fields[fields.firstIndex(of: "loss:")! + 1])
        }
        XCTAssertEqual(printed.count, 20, result.stdout)
        XCTAssertTrue(result.stdout.contains("Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [2, 2]"))

        let events = try records().map(\.event)
        guard case .hello(let hello)? = events.first else { return XCTFail("the first event is not hello: \(events.first.debugDescription)") }
        XCTAssertEqual(hello.ranks.map(\.rank), [0, 1, 2, 3])
        XCTAssertEqual(Set(hello.ranks.map(\.pid)).count, 4)
        XCTAssertEqual(hello.mesh, MeshLayout(replicate: 2, shard: 2, strategy: "hsdp"))
        XCTAssertEqual(hello.model.flavor, "tiny")
        XCTAssertEqual(hello.peak.source, "given")
        let steps = events.compactMap { event -> Telemetry.Step? in if case .step(let s) = event { return s }; return nil }
        XCTAssertEqual(steps.map(\.step), Array(1...20))
        XCTAssertEqual(steps.map { String(format: "%.5f", $0.loss) }, printed, "the recorded losses are the printed ones")
        for step in steps {
            XCTAssertEqual(step.ranks.map(\.rank), [0, 1, 2, 3])
            for rank in step.ranks {
                XCTAssertGreaterThan(rank.memory["parameters"] ?? 0, 0)
                XCTAssertEqual(rank.tokens, 8 * 32)
                XCTAssertGreaterThan(rank.tokensPerSecond, 0)
            }
        }
        let logs = events.compactMap { event -> String? in if case .log(let l) = event { return l.message }; return nil }
        XCTAssertEqual(logs.filter { $0.hasPrefix("step:") }.count, 20)
        guard case .done(let done)? = events.last else { return XCTFail("the last event is not done") }
        XCTAssertEqual(done.status, 0)
        XCTAssertEqual(done.reason, "completed")
        XCTAssertEqual(done.summary.steps, 20)
        XCTAssertEqual(done.summary.tokens, 20 * 4 * 8 * 32)

        let replay = try ProcessRunner.run([try Products.executable("meshtop"), "replay", metricsPath])
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertTrue(replay.stdout.contains("mesh: [2, 2] hsdp, 4 rank(s)"), replay.stdout)
        XCTAssertTrue(replay.stdout.contains("steps: 20 of 20"), replay.stdout)
        XCTAssertTrue(replay.stdout.contains("final loss: \(printed.last!)"), replay.stdout)
        XCTAssertTrue(replay.stdout.contains("end: completed, status 0"), replay.stdout)
    }

    func testAKilledRankIsReportedWithinFiveSecondsAndNothingIsLeft() throws {
        let job = try BackgroundJob([try Products.executable("meshtop"), "run"] + options(mesh: "2x2", steps: 5000), folder: folder)
        defer { job.kill() }
        let hello = try waitForHello(job)
        try waitForSteps(1, job)
        let victim = hello.ranks[2]
        let killed = Date()
        XCTAssertEqual(Foundation.kill(victim.pid, SIGKILL), 0)
        XCTAssertTrue(job.wait(timeout: 5), "meshtop still runs 5 s after a rank was killed")
        let elapsed = Date().timeIntervalSince(killed)
        XCTAssertLessThan(elapsed, 5)
        XCTAssertNotEqual(job.status, 0)
        let stderr = job.stderr
        XCTAssertTrue(stderr.contains("rank 2 (host \(victim.host), pid \(victim.pid)) killed by signal 9 (SIGKILL)"), stderr)
        for rank in hello.ranks { XCTAssertFalse(running(rank.pid), "rank \(rank.rank) is still running") }
        let left = try ProcessRunner.run(["pgrep", "-f", folder.path])
        XCTAssertEqual(left.stdout, "", "processes left: \(left.stdout)")
    }

    func testSIGINTStopsAtAStepBoundaryCheckpointsAndExitsZero() throws {
        let checkpoints = folder.appendingPathComponent("ckpt").path
        let job = try BackgroundJob([try Products.executable("meshtop"), "run"]
                          + options(mesh: "1x2", steps: 5000, ["--checkpoint-dir", checkpoints]), folder: folder)
        defer { job.kill() }
        _ = try waitForHello(job)
        try waitForSteps(2, job)
        Foundation.kill(job.pid, SIGINT)
        XCTAssertTrue(job.wait(timeout: 10))
        XCTAssertEqual(job.status, 0, job.stderr)
        let events = try records().map(\.event)
        guard case .done(let done)? = events.last else { return XCTFail("no done event") }
        XCTAssertEqual(done.reason, "stopped")
        let saved = events.compactMap { event -> Telemetry.Checkpoint? in if case .checkpoint(let c) = event { return c }; return nil }
        XCTAssertEqual(saved.map(\.step), [done.summary.steps], "one checkpoint, of the last step")
        XCTAssertTrue(FileManager.default.fileExists(atPath: saved.first?.path ?? "/nonexistent"))
    }

    func testTrainingGoesOnWhenTheFrontEndGoesAwayAndSaysSoOnce() throws {
        let receiver = try TelemetryReceiver()
        let closer = Thread {
            _ = receiver.next(timeout: 60)  // the session starts: the front end then vanishes
            receiver.close()
        }
        closer.start()
        let result = try ProcessRunner.run(
            MPIRun.command(ranks: 2, quiet: true, ["-x", "MESHTOP_TELEMETRY", "-x", "MESHTOP_TELEMETRY_TOKEN",
                                                   try Products.executable("meshtop-rank"), "--mesh", "1x2", "--flavor", "tiny",
                                                   "--seq-len", "32", "--steps", "40", "--peak-tflops", "0.1",
                                                   "--dump-folder", dump]),
            environment: receiver.environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdoutLines.filter { $0.hasPrefix("step:") }.count, 40)
        XCTAssertEqual(result.stderrLines.filter { $0.contains("training continues without the front end") }.count, 1,
                       result.stderr)
    }

    func testANonFiniteLossEndsTheRunNamingTheStep() throws {
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "run"]
                                           + options(mesh: "2x1", steps: 6, ["--lr", "1e20", "--warmup-steps", "1"]))
        XCTAssertEqual(result.status, 1)
        let events = try records().map(\.event)
        let errors = events.compactMap { event -> Notice? in if case .error(let n) = event { return n }; return nil }
        XCTAssertEqual(errors.count, 1)
        let step = try XCTUnwrap(errors.first?.step)
        XCTAssertTrue(result.stderr.contains("at step \(step)"), result.stderr)
        guard case .done(let done)? = events.last else { return XCTFail("no done event") }
        XCTAssertEqual(done.reason, "failed")
    }

    func testDryRunPrintsTheMpirunCommandAndStartsNothing() throws {
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "--dry-run", "--np", "4", "--flavor", "tiny"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdoutLines.count, 1)
        let line = result.stdoutLines[0]
        XCTAssertTrue(line.hasPrefix("mpirun -np 4 "), line)
        XCTAssertTrue(line.contains("-x OPENBLAS_NUM_THREADS=1 -x OPENBLAS_THREAD_TIMEOUT=4 -x MESHTOP_TELEMETRY -x MESHTOP_TELEMETRY_TOKEN "), line)
        XCTAssertTrue(line.hasSuffix("/meshtop-rank --mesh 4x1 --flavor tiny"), line)
    }

    func testAMissingDataFileFailsBeforeMpirunNamingIt() throws {
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--data", "/nonexistent/corpus.txt"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stderrLines, ["meshtop: --data /nonexistent/corpus.txt: no such file"])
    }

    func testWithoutATerminalRunSaysItIsHeadless() throws {
        let result = try ProcessRunner.run([try Products.executable("meshtop")] + options(mesh: "1x1", steps: 1).dropFirst())
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderrLines.filter { $0.contains("not a terminal") }.count, 1, result.stderr)
        XCTAssertEqual(result.stdoutLines.filter { $0.hasPrefix("step:") }.count, 1)
    }

    // MARK: helpers

    /// Running: a zombie waiting for its parent to reap it has ended.
    func running(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    func waitForHello(_ job: BackgroundJob, timeout: Double = 60) throws -> Hello {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end && job.isRunning {
            for record in (try? records()) ?? [] { if case .hello(let hello) = record.event { return hello } }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TestSupportError("no hello within \(timeout) s: \(job.stderr)")
    }

    func waitForSteps(_ count: Int, _ job: BackgroundJob, timeout: Double = 60) throws {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end && job.isRunning {
            let steps = ((try? records()) ?? []).filter { if case .step = $0.event { return true }; return false }
            if steps.count >= count { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestSupportError("fewer than \(count) steps within \(timeout) s: \(job.stderr)")
    }
}
