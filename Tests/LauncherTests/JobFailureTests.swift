import Foundation
import RunSpec
import Launcher
import Telemetry
import TestSupport
import XCTest

/// A switch that fails is reported in one line, leaves the checkpoint it resumes from whole, and
/// a retry on the old mesh completes the run. Requests a job cannot honour are refused in one line.
final class JobFailureTests: XCTestCase {
    func testARelaunchThatCannotStartIsReportedAndTheRetryOnTheOldMeshCompletesTheRun() throws {
        let helper = try JobFixture(for: self)
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        let checkpoints = helper.checkpoints
        let steps = 16
        let old = meshShape(1, 2), target = meshShape(2, 1)
        // The relaunch on (2, 1) is given a mesh its 2 ranks cannot form: meshtop-rank refuses it before MPI_Init.
        let job = try helper.job(mesh: old, steps: steps, checkpoints: checkpoints, receiver: receiver) { first in
            let good = helper.planner(first)
            return { mesh, ranks in
                var plan = try good(mesh, ranks)
                if mesh == target { plan.rankArguments[1] = "3x1" }
                return plan
            }
        }

        let lines = SaidLines()
        job.options.output = .lines { line, isStderr in if isStderr { lines.append(line) } }
        let said = SaidLines()
        job.say = { said.append($0) }
        let events = Recorder()
        var saved: [String: Data] = [:]
        job.onEvent = { record in
            events.append(record.event)
            if case .step(let s) = record.event, s.step == 3 {
                receiver.send(.pause)
                do { try job.reconfigure(to: target, worldSize: 2) } catch { said.append("refused: \(error)") }
            }
        }
        job.onPhase = { record in
            // The checkpoint the switch wrote, byte for byte, as the failed relaunch is about to start.
            guard record.phase == .relaunching, record.failure == nil, let path = record.checkpoint?.path else { return }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                saved[name] = FileManager.default.contents(atPath: path + "/" + name)
            }
        }
        let status = try job.run()
        XCTAssertNotEqual(status, 0)
        guard case .switchFailed(let message) = job.state else { return XCTFail("state \(job.state), said \(said.all)") }
        print("JobFailureTests: \(message)")
        let checkpoint = try XCTUnwrap(job.switches.last?.checkpoint)
        XCTAssertTrue(message.hasPrefix("the relaunch on mesh (2, 1) failed before its first step (mpirun: status 2)"), message)
        XCTAssertTrue(message.contains("meshtop-rank: mesh 3x1 needs 3 x 1 = 3 ranks, but 2 were started"), "the rank's own error, from mpirun's stderr: \(message)")
        XCTAssertTrue(message.contains("the newest checkpoint, \(checkpoint.path) (step \(checkpoint.step)), is intact"), message)
        XCTAssertTrue(message.contains("retryOnPreviousMesh() resumes on mesh (1, 2)"), message)
        XCTAssertFalse(message.contains("\n"), "one line")
        XCTAssertTrue(said.all.contains(message))
        XCTAssertTrue(lines.all.contains { $0.contains("3x1") }, "mpirun's stderr reached the callback: \(lines.all)")
        XCTAssertEqual(job.switches.last?.failure, message)
        XCTAssertFalse(saved.isEmpty)
        for (name, bytes) in saved {
            XCTAssertEqual(FileManager.default.contents(atPath: checkpoint.path + "/" + name), bytes, "\(name) changed")
        }

        XCTAssertEqual(try job.retryOnPreviousMesh(), 0)
        XCTAssertEqual(job.state, .finished(0))
        XCTAssertEqual(job.currentMesh, old)
        let retry = try XCTUnwrap(job.switches.last)
        XCTAssertTrue(retry.isRetry)
        XCTAssertEqual(retry.phases.map(\.phase), [.relaunching, .resharding, .running])
        XCTAssertEqual(retry.firstStep, checkpoint.step + 1)
        let recorded = events.all.compactMap { event -> Int? in if case .step(let s) = event { return s.step }; return nil }
        XCTAssertEqual(recorded, Array(1...steps), "the retry goes on from the checkpoint to the end")
        guard case .done(let done)? = events.all.last else { return XCTFail("no done") }
        XCTAssertEqual(done.reason, "completed")
        XCTAssertThrowsError(try job.retryOnPreviousMesh()) { XCTAssertEqual("\($0)", "nothing to retry: no switch has failed") }
    }

    /// The save for the switch is refused (the folder made immutable, which stops root too): the
    /// report names the earlier checkpoint, intact; once the folder is writable again the retry
    /// resumes from it and completes the run.
    func testACheckpointThatCannotBeWrittenFailsTheSwitchAndTheRetryResumesFromTheEarlierOne() throws {
        let helper = try JobFixture(for: self)
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        let checkpoints = helper.checkpoints
        let steps = 12
        // Periodic checkpoints every 4 steps, in every generation.
        var first = try helper.plan(mesh: meshShape(1, 2), steps: steps, checkpoints: checkpoints, receiver: receiver)
        first.rankArguments += ["--checkpoint-every", "4"]
        // Events reach onEvent at the supervisor's tick: a short one, so the ranks are stopped
        // (below) within a step or so of their step-4 save, not after the next one at 8.
        var options = Supervisor.Options()
        options.tick = 0.002
        let periodic = Launcher.Job(plan: first, mesh: meshShape(1, 2), receiver: receiver,
                                    options: options, planner: helper.planner(first))
        let said = SaidLines()
        periodic.say = { said.append($0) }
        let events = Recorder()
        var frozen = false
        var pids: [pid_t] = []
        defer { _ = try? ProcessRunner.run(["chattr", "-i", checkpoints]) }
        periodic.onEvent = { record in
            events.append(record.event)
            if case .hello(let hello) = record.event { pids = hello.ranks.map(\.pid) }
            guard case .checkpoint(let c) = record.event, c.step == 4, !frozen else { return }
            frozen = true
            // Tiny steps take milliseconds: stop the ranks at once (a step or so past 4, far from
            // the next periodic save at 8) while the folder is frozen and the switch is asked for.
            for pid in pids { kill(pid, SIGSTOP) }
            defer { for pid in pids { kill(pid, SIGCONT) } }
            let chattr = try? ProcessRunner.run(["chattr", "+i", checkpoints])
            if chattr?.status != 0 { said.append("chattr failed: \(chattr?.stderr ?? "not run")") }
            do { try periodic.reconfigure(to: meshShape(2, 1), worldSize: 2) } catch { said.append("refused: \(error)") }
        }
        let status = try periodic.run()
        if let problem = said.all.first(where: { $0.hasPrefix("chattr failed") }) {
            throw XCTSkip("this file system cannot make a folder immutable: \(problem)")
        }
        XCTAssertNotEqual(status, 0)
        guard case .switchFailed(let message) = periodic.state else { return XCTFail("state \(periodic.state), said \(said.all)") }
        print("JobFailureTests: \(message)")
        XCTAssertTrue(message.hasPrefix("the switch to mesh (2, 1) failed while checkpointing (the ranks ended: failed, status 1); rank 0: "), message)
        XCTAssertTrue(message.contains("\(checkpoints)/step-000004 (step 4), is intact: retryOnPreviousMesh() resumes on mesh (1, 2) from it"), message)
        XCTAssertNil(periodic.switches.last?.checkpoint, "no checkpoint for the switch")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: checkpoints).sorted(), ["step-000004"])

        XCTAssertEqual(try ProcessRunner.run(["chattr", "-i", checkpoints]).status, 0)
        XCTAssertEqual(try periodic.retryOnPreviousMesh(), 0)
        XCTAssertEqual(periodic.state, .finished(0))
        XCTAssertEqual(periodic.switches.last?.firstStep, 5, "resumed from step 4")
        XCTAssertEqual(events.losses.keys.sorted(), Array(1...steps))
        guard case .done(let done)? = events.all.last else { return XCTFail("no done") }
        XCTAssertEqual(done.reason, "completed")
    }

    func testRequestsAJobCannotHonourAreRefusedInOneLine() throws {
        let helper = try JobFixture(for: self)
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        let mesh = meshShape(1, 2)
        let withCheckpoints = try helper.job(mesh: mesh, steps: 4, checkpoints: "/tmp/unused", receiver: receiver)
        func refusal(_ job: Launcher.Job, _ r: Int, _ s: Int, _ ranks: Int) -> String {
            do { try job.reconfigure(to: meshShape(r, s), worldSize: ranks); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(refusal(withCheckpoints, 3, 1, 3), "mesh 3x1: 3 ranks cannot keep the global batch of 16 sequences (not a multiple of 3)")
        XCTAssertEqual(refusal(withCheckpoints, 2, 2, 2), "mesh 2x2 needs 4 ranks, not 2")
        XCTAssertEqual(refusal(withCheckpoints, 2, 1, 2), "the job is not training now: cannot switch")
        let without = try helper.job(mesh: mesh, steps: 4, checkpoints: nil, receiver: receiver)
        XCTAssertEqual(refusal(without, 2, 1, 2),
                       "switching meshes needs --checkpoint-dir (the new ranks resume from the checkpoint the old ones write)")
        XCTAssertThrowsError(try without.retryOnPreviousMesh())
    }
}

final class SaidLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
