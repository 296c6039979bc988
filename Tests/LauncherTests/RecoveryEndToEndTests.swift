import Foundation
import Telemetry
import TestSupport
import XCTest

/// `--on-failure` end to end under real mpirun (issue 19): 2x2 tiny, a checkpoint every 5 steps,
/// 40 steps, one rank SIGKILLed at a random step after the first checkpoint. Every step's loss must
/// equal an uninterrupted 2x2 run's, and no rank of any launch may be left when meshtop returns.
final class RecoveryEndToEndTests: XCTestCase {
    var folder: URL!
    var dump: String!
    static let steps = 40
    /// The uninterrupted 2x2 run's losses, by step (one run for the class).
    static let baselines = SharedRuns<String, [Int: Double]>()

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder(for: self, "recovery")
        dump = try dumpFolder(in: folder)
    }

    var metricsPath: String { folder.appendingPathComponent("metrics.jsonl").path }
    var checkpoints: String { folder.appendingPathComponent("ckpt").path }

    func arguments(_ extra: [String]) throws -> [String] {
        [try Products.executable("meshtop"), "run", "--no-tui", "--mesh", "2x2", "--flavor", "tiny", "--seq-len", "32",
         "--steps", String(Self.steps), "--peak-tflops", "0.1", "--dump-folder", dump, "--metrics-file", metricsPath,
         "--checkpoint-dir", checkpoints, "--checkpoint-every", "5"] + extra
    }

    func testShrinkGoesOnOnASmallerMeshWithTheUninterruptedLosses() throws {
        let (job, victim) = try killOneRank(["--on-failure", "shrink"])
        XCTAssertEqual(job.status, 0, job.stderr)
        let hellos = try hellos()
        XCTAssertEqual(hellos.count, 2, job.stderr)
        // 3 ranks cannot share 2 x 2 x 8 sequences: 2 can, keeping the shard degree.
        XCTAssertEqual(hellos.last?.mesh, MeshLayout(replicate: 1, shard: 2, strategy: "fsdp"))
        try assertUninterruptedLosses(job)
        XCTAssertTrue(job.stderr.contains("rank \(victim.rank) lost at step"), job.stderr)
        XCTAssertTrue(job.stderr.range(of: #"resumed at step \d+ on \[1, 2\] in [0-9.]+ s; \d+ steps? redone"#,
                                       options: .regularExpression) != nil, job.stderr)
        // The recording has the failure and the resume, between the generations' events.
        let notices = try recoveries()
        XCTAssertEqual(notices.map(\.phase), [.relaunching, .resumed])
        let resumed = try XCTUnwrap(notices.last)
        XCTAssertEqual(resumed.lostRanks, [victim.rank])
        XCTAssertEqual(resumed.from, [2, 2])
        XCTAssertEqual(resumed.to, [1, 2])
        let (failedAfter, resumedAt) = (try XCTUnwrap(resumed.failedAfterStep), try XCTUnwrap(resumed.resumedAtStep))
        XCTAssertEqual(resumedAt % 5, 0, "resumed from a checkpoint")
        XCTAssertEqual(resumed.stepsRedone, failedAfter - resumedAt)
        XCTAssertGreaterThan(resumed.seconds ?? 0, 0)
        XCTAssertTrue(job.stderr.contains("meshtop: " + resumed.message), "headless prints it: \(resumed.message)")
    }

    func testRestartGoesOnOnTheSameMeshWithTheUninterruptedLosses() throws {
        let (job, _) = try killOneRank(["--on-failure", "restart"])
        XCTAssertEqual(job.status, 0, job.stderr)
        let hellos = try hellos()
        XCTAssertEqual(hellos.map(\.mesh), Array(repeating: MeshLayout(replicate: 2, shard: 2, strategy: "hsdp"), count: 2))
        try assertUninterruptedLosses(job)
        XCTAssertTrue(job.stderr.range(of: #"resumed at step \d+ on \[2, 2\]"#, options: .regularExpression) != nil, job.stderr)
    }

    func testStopTearsTheJobDownAsWithoutRecovery() throws {
        let (job, victim) = try killOneRank(["--on-failure", "stop"])
        XCTAssertNotEqual(job.status, 0)
        XCTAssertEqual(try hellos().count, 1, "no relaunch")
        XCTAssertTrue(job.stderr.contains("rank \(victim.rank) (host \(victim.host), pid \(victim.pid)) killed by signal 9 (SIGKILL)"), job.stderr)
        XCTAssertFalse(job.stderr.contains("relaunching"), job.stderr)
    }

    /// The relaunch loses a rank too, as soon as its ranks said hello (before or just after its
    /// first step: the tiny steps race the kill): that is the second failure, past --max-restarts
    /// 1, so the job ends naming both, and the newest checkpoint is left whole.
    func testASecondFailureInARowPastMaxRestartsEndsTheJobNamingBoth() throws {
        let job = try BackgroundJob(try arguments(["--on-failure", "restart", "--max-restarts", "1"]), folder: folder)
        defer { job.kill() }
        let first = try waitFor(job) { $0.hellos.first }
        try waitFor(job) { $0.lastStep.map { $0 >= 7 } == true ? true : nil }
        XCTAssertEqual(kill(first.ranks[3].pid, SIGKILL), 0)
        let second = try waitFor(job, timeout: 60) { $0.hellos.count >= 2 ? $0.hellos[1] : nil }
        XCTAssertEqual(kill(second.ranks[1].pid, SIGKILL), 0)
        XCTAssertTrue(job.wait(timeout: 30), "meshtop still runs 30 s after the second failure")
        try assertNothingLeft()
        XCTAssertNotEqual(job.status, 0)
        let summary = job.stderr.split(separator: "\n").filter { $0.contains("giving up after 2 failures") }
        XCTAssertEqual(summary.count, 1, job.stderr)
        let line = String(summary.first ?? "")
        XCTAssertTrue(line.contains("rank 3 lost at step") && line.contains("rank 1 lost"), line)
        XCTAssertTrue(line.contains("is intact"), line)
        XCTAssertEqual(try hellos().count, 2, "no third launch")
        let phases = try recoveries().map(\.phase)
        XCTAssertTrue(phases == [.relaunching, .gaveUp] || phases == [.relaunching, .resumed, .gaveUp], "\(phases)")
        XCTAssertEqual(try recoveries().last?.message, line.replacingOccurrences(of: "meshtop: ", with: ""))
    }

    // MARK: helpers

    /// Runs the job, kills one of its 4 ranks at a random step after the first checkpoint, waits
    /// for meshtop to return and checks at once that no rank of any launch runs.
    func killOneRank(_ extra: [String]) throws -> (BackgroundJob, RankIdentity) {
        let job = try BackgroundJob(try arguments(extra), folder: folder)
        defer { job.kill() }
        let hello = try waitFor(job) { $0.hellos.first }
        let at = Int.random(in: 6...30)
        let victim = hello.ranks[Int.random(in: 0...3)]
        try waitFor(job) { $0.lastStep.map { $0 >= at } == true ? true : nil }
        XCTAssertEqual(kill(victim.pid, SIGKILL), 0)
        print("killed rank \(victim.rank) after step \(at)")
        XCTAssertTrue(job.wait(timeout: 240), "meshtop did not return: \(job.stderr)")
        try assertNothingLeft()
        return (job, victim)
    }

    func assertNothingLeft() throws {
        let pids = try hellos().flatMap(\.ranks).map(\.pid)
        let running = pids.filter(Self.running)
        XCTAssertEqual(running, [], "ranks still running when meshtop returned")
        XCTAssertEqual(try ProcessRunner.run(["pgrep", "-f", folder.path]).stdout, "", "processes left")
    }

    func assertUninterruptedLosses(_ job: BackgroundJob) throws {
        let baseline = try Self.baselines.value(for: "2x2") { try uninterrupted() }
        let steps = try records().compactMap { r -> Telemetry.Step? in if case .step(let s) = r.event { return s }; return nil }
        XCTAssertEqual(Set(steps.map(\.step)), Set(1...Self.steps), "every step, some twice (redone)")
        for step in steps {
            let want = try XCTUnwrap(baseline[step.step])
            XCTAssertEqual(step.loss, want, accuracy: 1e-5, "step \(step.step)")
        }
    }

    func uninterrupted() throws -> [Int: Double] {
        let plain = folder.appendingPathComponent("plain.jsonl").path
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--no-tui", "--mesh", "2x2", "--flavor", "tiny",
                                            "--seq-len", "32", "--steps", String(Self.steps), "--peak-tflops", "0.1",
                                            "--dump-folder", dump, "--metrics-file", plain], timeout: 300)
        guard result.status == 0 else { throw TestSupportError("the uninterrupted run failed: \(result.stderr)") }
        var losses: [Int: Double] = [:]
        for record in try TelemetryFileReader.readAll(path: plain).records { if case .step(let s) = record.event { losses[s.step] = s.loss } }
        return losses
    }

    struct Seen {
        var hellos: [Hello] = []
        var lastStep: Int?
    }

    func recoveries() throws -> [RecoveryNotice] {
        try records().compactMap { if case .recovery(let n) = $0.event { return n }; return nil }
    }

    func records() throws -> [TelemetryRecord] { try TelemetryFileReader.readAll(path: metricsPath).records }

    func hellos() throws -> [Hello] { try records().compactMap { if case .hello(let h) = $0.event { return h }; return nil } }

    @discardableResult
    func waitFor<T>(_ job: BackgroundJob, timeout: Double = 120, _ found: (Seen) -> T?) throws -> T {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end && job.isRunning {
            var seen = Seen()
            for record in (try? records()) ?? [] {
                if case .hello(let h) = record.event { seen.hellos.append(h) }
                if case .step(let s) = record.event { seen.lastStep = s.step }
            }
            if let value = found(seen) { return value }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw TestSupportError("not seen within \(timeout) s: \(job.stderr)")
    }

    /// Running: a zombie waiting for its parent to reap it has ended.
    static func running(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }
}
