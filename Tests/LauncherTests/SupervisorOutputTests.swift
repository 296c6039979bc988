import Foundation
import RunSpec
import Launcher
import Telemetry
import TestSupport
import XCTest

/// `Supervisor.Options.output = .lines`: mpirun's lines reach the callback, and a rank that died
/// has mpirun's last stderr lines in its report.
final class SupervisorOutputTests: XCTestCase {
    func testCapturedLinesReachTheCallbackAndADeadRanksLastStderrLinesJoinItsReport() throws {
        let fixture = try JobFixture(for: self)
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        var plan = try fixture.plan(mesh: meshShape(1, 2), steps: 100_000, checkpoints: nil, receiver: receiver)
        // Rank 1 is meshtop-rank itself (exec), with a watcher that, once told, says a last word
        // on stderr and kills it.
        let signal = fixture.folder.appendingPathComponent("kill-rank-1").path
        let wrapper = fixture.folder.appendingPathComponent("rank.sh").path
        try """
            #!/bin/sh
            if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then
              ( while [ ! -e \(signal) ]; do sleep 0.05; done; echo "rank 1: out of luck" >&2; kill -9 $$ ) &
            fi
            exec \(plan.rankExecutable) "$@"
            """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        plan.rankExecutable = wrapper
        var options = Supervisor.Options()
        let stdout = SaidLines(), stderr = SaidLines()
        options.output = .lines { line, isStderr in (isStderr ? stderr : stdout).append(line) }
        // Runs on the thread below; this one uses only what is Sendable, or waits for it.
        nonisolated(unsafe) let supervisor = Supervisor(plan: plan, receiver: receiver, options: options)
        let said = SaidLines()
        supervisor.say = { said.append($0) }
        let events = Recorder()
        supervisor.sink = { events.append($0.event) }
        let result = StatusBox()
        Thread { result.set(try? supervisor.run(environment: receiver.environment)) }.start()

        var victim: RankIdentity?
        let end = Date().addingTimeInterval(60)
        while Date() < end, victim == nil || events.losses.count < 2 {
            for case .hello(let hello) in events.all { victim = hello.ranks.last }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let rank = try XCTUnwrap(victim, "no hello: \(stderr.all)")
        XCTAssertTrue(FileManager.default.createFile(atPath: signal, contents: nil))
        let ended = Date().addingTimeInterval(30)
        while result.get() == nil && Date() < ended { Thread.sleep(forTimeInterval: 0.05) }
        let status = try XCTUnwrap(try XCTUnwrap(result.get(), "the job did not end"), "run() threw")
        XCTAssertNotEqual(status, 0)

        XCTAssertTrue(stdout.all.contains { $0.hasPrefix("step:  1  loss:") }, "rank 0's lines come as stdout lines: \(stdout.all)")
        XCTAssertFalse(stdout.all.contains { $0.contains("\n") })
        XCTAssertTrue(stderr.all.contains("rank 1: out of luck"), "\(stderr.all)")
        let report = said.all.firstIndex { $0.hasPrefix("rank 1 (host \(rank.host), pid \(rank.pid)) killed by signal 9") }
        let index = try XCTUnwrap(report, "\(said.all)")
        let quoted = said.all[(index + 1)...].filter { $0.hasPrefix("  mpirun stderr: ") }
        XCTAssertTrue(quoted.contains("  mpirun stderr: rank 1: out of luck"), "\(said.all)")
        XCTAssertEqual(Array(quoted.map { String($0.dropFirst("  mpirun stderr: ".count)) }),
                       Array(supervisor.lastErrorLines), "the report quotes mpirun's last stderr lines")
        XCTAssertEqual(supervisor.lastErrorLines, Array(stderr.all.suffix(supervisor.lastErrorLines.count)))
    }
}

private final class StatusBox: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int32??
    func set(_ value: Int32?) { lock.lock(); status = .some(value); lock.unlock() }
    /// nil while running; .some(nil) when run() threw.
    func get() -> Int32?? { lock.lock(); defer { lock.unlock() }; return status }
}
