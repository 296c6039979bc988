import Foundation
import RunSpec
import Launcher
import RunOptions
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
        let plan = try LaunchPlan(rankExecutable: try Products.executable("meshtop-rank"),
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

        // Paused, then resumed once the pause is seen: no step may come between the two lines
        // rank 0 logs, and both name the same step. (Rank 0 holds the pause in a loop that looks
        // for commands every 0.1 s; the resume, sent after the pause was seen, finds it holding.)
        XCTAssertTrue(receiver.send(.pause))
        XCTAssertTrue(events.wait(timeout: 30) { $0.logs.contains { $0.hasPrefix("Paused after step") } })
        let held = events.steps
        XCTAssertTrue(receiver.send(.resume))
        XCTAssertTrue(events.wait(timeout: 30) { $0.logs.contains { $0.hasPrefix("Resumed after step") } }, "no resume")
        let during = events.snapshot.drop { event in
            if case .log(let l) = event { return !l.message.hasPrefix("Paused after step") }; return true
        }.prefix { event in
            if case .log(let l) = event { return !l.message.hasPrefix("Resumed after step") }; return true
        }
        XCTAssertEqual(during.filter { if case .step = $0 { return true }; return false }.count, 0, "steps went on while paused")
        let paused = events.logs.first { $0.hasPrefix("Paused after step") }
        let resumed = events.logs.first { $0.hasPrefix("Resumed after step") }
        XCTAssertEqual(paused?.dropFirst("Paused after step".count), resumed?.dropFirst("Resumed after step".count),
                       "paused and resumed at the same step")
        XCTAssertEqual(paused, "Paused after step \(held)", "the pause holds after the last step seen")
        XCTAssertTrue(events.wait(timeout: 30) { $0.steps >= held + 2 }, "no steps after resume")

        XCTAssertTrue(receiver.send(.reconfigure(mesh: meshShape(2, 1))))
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
            let plan = try LaunchPlan(rankExecutable: "rank", rankArguments: [], mpirun: script)
            // Runs on the thread below; this one uses only what is Sendable, or waits for it.
            nonisolated(unsafe) let supervisor = Supervisor(plan: plan, receiver: nil)
            let lines = Lines()
            supervisor.say = { lines.append($0) }
            let result = Result()
            Thread { result.set(Swift.Result { try supervisor.run() }) }.start()
            // Signalled once the stub has written its pid (its trap is set then; the file exists,
            // empty, a moment before) and SIGINT reaches the supervisor's handler.
            var stub: pid_t = 0
            let ready = Date().addingTimeInterval(10)
            while stub == 0 || !Self.catchesSIGINT(), Date() < ready {
                stub = pid_t((try? String(contentsOfFile: started, encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
                Thread.sleep(forTimeInterval: 0.005)
            }
            defer { if stub > 0 { kill(stub, SIGKILL) } }  // never left holding the test's outputs
            XCTAssertGreaterThan(stub, 0, "the stand-in mpirun did not start")
            XCTAssertTrue(Self.catchesSIGINT(), "SIGINT is not caught")
            let sent = Date()
            kill(getpid(), SIGINT)
            if second {
                // The second signal once the first was acted on (two pending signals coalesce).
                let seen = Date().addingTimeInterval(10)
                while !lines.all.contains(where: { $0.hasPrefix("stopping the job") }) && Date() < seen {
                    Thread.sleep(forTimeInterval: 0.005)
                }
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

extension SignalTests {
    /// SIGINT goes to a handler of this process, as it does once the supervisor's signal sources
    /// are in place (libdispatch installs the handler from a thread of its own, a moment after
    /// the first supervisor has asked for it; until then SIGINT is ignored).
    static func catchesSIGINT() -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
              let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) else {
            return false
        }
        return mask & (1 << UInt64(SIGINT - 1)) != 0
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
