import Foundation
import Launcher
import Telemetry
import TestSupport
import XCTest

/// The front end's commands reach every rank at a step boundary: a `Supervisor` runs the job
/// while the test plays the front end on the receiver.
final class ControlTests: XCTestCase {
    func testCheckpointPauseResumeAndReconfigure() throws {
        let folder = try makeTemporaryFolder(for: self, "control")
        let checkpoints = folder.appendingPathComponent("ckpt").path

        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        let plan = LaunchPlan(ranks: 2, rankExecutable: try Products.executable("meshtop-rank"),
                              rankArguments: ["--mesh", "1x2", "--flavor", "tiny", "--seq-len", "32", "--steps", "5000",
                                              "--peak-tflops", "0.1", "--checkpoint-dir", checkpoints,
                                              "--dump-folder", try dumpFolder(in: folder)],
                              exportedVariables: Array(receiver.environment.keys).sorted())
        // Runs on the thread below; this one uses only what is Sendable, or waits for it.
        nonisolated(unsafe) let supervisor = Supervisor(plan: plan, receiver: receiver)
        let events = Events()
        supervisor.sink = { events.append($0.event) }
        let result = Result()
        let thread = Thread {
            result.set(Swift.Result { try supervisor.run(environment: receiver.environment) })
        }
        thread.start()

        XCTAssertTrue(events.wait(timeout: 60) { $0.steps >= 2 }, "no steps")
        XCTAssertTrue(receiver.send(.checkpoint))
        XCTAssertTrue(events.wait(timeout: 30) { $0.checkpoints.count == 1 }, "no checkpoint event")

        XCTAssertTrue(receiver.send(.pause))
        XCTAssertTrue(events.wait(timeout: 30) { $0.logs.contains { $0.hasPrefix("Paused after step") } })
        let held = events.steps
        Thread.sleep(forTimeInterval: 0.7)
        XCTAssertEqual(events.steps, held, "steps went on while paused")
        XCTAssertTrue(receiver.send(.resume))
        XCTAssertTrue(events.wait(timeout: 30) { $0.steps >= held + 2 }, "no steps after resume")

        XCTAssertTrue(receiver.send(.reconfigure(mesh: MeshTarget(replicate: 2, shard: 1))))
        let end = Date().addingTimeInterval(60)
        while result.get() == nil && Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        let status = try XCTUnwrap(result.get()).get()
        XCTAssertEqual(status, 3, "reconfigure exits with 3")
        let done = try XCTUnwrap(events.done)
        XCTAssertEqual(done.reason, "reconfigure")
        XCTAssertEqual(done.status, 3)
        XCTAssertEqual(events.checkpoints.count, 2, "reconfigure checkpoints first")
        XCTAssertEqual(events.checkpoints.last?.step, done.summary.steps)
    }
}

/// Signals to the front end, with a stand-in for mpirun that ignores SIGTERM and SIGINT (two
/// signals sent at once to a real job coalesce into one, and a real job stops within a step).
final class SignalTests: XCTestCase {
    func testASecondSignalKillsAtOnceAndAnIgnoredTerminationIsFollowedByAKill() throws {
        let folder = try makeTemporaryFolder(for: self, "signal")
        let script = folder.appendingPathComponent("stubborn-mpirun").path
        let started = folder.appendingPathComponent("started").path
        try "#!/bin/sh\ntrap '' TERM INT\necho $$ > \(started)\nwhile :; do sleep 0.05; done\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)

        for second in [true, false] {
            try? FileManager.default.removeItem(atPath: started)
            let plan = LaunchPlan(ranks: 1, rankExecutable: "rank", rankArguments: [], mpirun: script)
            // Runs on the thread below; this one uses only what is Sendable, or waits for it.
            nonisolated(unsafe) let supervisor = Supervisor(plan: plan, receiver: nil)
            let lines = Lines()
            supervisor.say = { lines.append($0) }
            let result = Result()
            Thread { result.set(Swift.Result { try supervisor.run() }) }.start()
            let ready = Date().addingTimeInterval(10)
            while !FileManager.default.fileExists(atPath: started) && Date() < ready { Thread.sleep(forTimeInterval: 0.02) }
            Thread.sleep(forTimeInterval: 0.05)
            let stub = pid_t((try? String(contentsOfFile: started, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
            defer { if stub > 0 { kill(stub, SIGKILL) } }  // never left holding the test's outputs
            Thread.sleep(forTimeInterval: 0.1)
            let sent = Date()
            kill(getpid(), SIGINT)
            if second {
                Thread.sleep(forTimeInterval: 0.3)
                kill(getpid(), SIGINT)
            }
            let end = Date().addingTimeInterval(10)
            while result.get() == nil && Date() < end { Thread.sleep(forTimeInterval: 0.02) }
            let elapsed = Date().timeIntervalSince(sent)
            let status = try XCTUnwrap(result.get()).get()
            XCTAssertEqual(status, 128 + SIGKILL, lines.all.joined(separator: "\n"))
            if second {
                XCTAssertLessThan(elapsed, 1.5, "the second signal kills at once")
                XCTAssertTrue(lines.all.contains("killing the job"), "\(lines.all)")
            } else {
                XCTAssertGreaterThan(elapsed, 1.9, "SIGTERM first, SIGKILL 2 s later")
                XCTAssertLessThan(elapsed, 4)
            }
        }
    }
}

private final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

private final class Events: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [Event] = []
    func append(_ event: Event) { lock.lock(); all.append(event); lock.unlock() }
    var snapshot: [Event] { lock.lock(); defer { lock.unlock() }; return all }
    var steps: Int { snapshot.filter { if case .step = $0 { return true }; return false }.count }
    var checkpoints: [Telemetry.Checkpoint] { snapshot.compactMap { if case .checkpoint(let c) = $0 { return c }; return nil } }
    var logs: [String] { snapshot.compactMap { if case .log(let l) = $0 { return l.message }; return nil } }
    var done: Done? { snapshot.compactMap { if case .done(let d) = $0 { return d }; return nil }.last }

    func wait(timeout: Double, _ condition: (Events) -> Bool) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end { if condition(self) { return true }; Thread.sleep(forTimeInterval: 0.02) }
        return false
    }
}

private final class Result: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Swift.Result<Int32, Error>?
    func set(_ v: Swift.Result<Int32, Error>) { lock.lock(); value = v; lock.unlock() }
    func get() -> Swift.Result<Int32, Error>? { lock.lock(); defer { lock.unlock() }; return value }
}
