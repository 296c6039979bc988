import Foundation
import RunSpec
import Launcher
import Telemetry
import TestSupport
import XCTest

/// A mesh switch starts its new mpirun when it is asked for; the new ranks wait after MPI_Init
/// (`meshtop-rank --wait-for-start`) until the old ones have ended. Real mpirun, tiny flavor.
final class StandbyTests: XCTestCase {
    var fixture: JobFixture!

    override func setUpWithError() throws { fixture = try JobFixture(for: self) }

    /// Lines mpirun printed, from the capture's threads.
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    func gatedSupervisor(steps: Int, lines: Lines) throws -> Supervisor {
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        let plan = try fixture.plan(mesh: meshShape(1, 2), steps: steps, checkpoints: nil, receiver: receiver)
        var options = Supervisor.Options()
        options.output = .lines { line, _ in lines.append(line) }
        return Supervisor(plan: plan.waitingForStart(), receiver: nil, options: options)
    }

    /// Waits until rank 0 of this test's job sits at the start gate: asleep reading a pipe (its
    /// stdin, which mpirun feeds from the supervisor's), what it does after MPI_Init and before
    /// building anything. The job's processes are those whose command line names the fixture's
    /// folder; mpirun, the only other one with a pipe for stdin, waits in poll.
    func waitUntilRankZeroWaitsForStart(timeout: Double = 60) throws {
        let folder = fixture.folder.path
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
            for pid in pids {
                guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                      String(decoding: cmdline, as: UTF8.self).contains(folder),
                      let wchan = (try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8))?
                          .trimmingCharacters(in: .whitespacesAndNewlines) else { continue }
                if wchan.hasSuffix("pipe_read") || wchan == "pipe_wait" { return }
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw TestSupportError("no rank of the gated job waited for `start` within \(timeout) s")
    }

    func testGatedRanksTrainOnlyOnceStarted() throws {
        let lines = Lines()
        let supervisor = try gatedSupervisor(steps: 2, lines: lines)
        try supervisor.startGated()
        // Ranks that did not wait would never be found waiting; ranks that trained first would
        // have printed their steps by then.
        try waitUntilRankZeroWaitsForStart()
        XCTAssertEqual(lines.all.filter { $0.hasPrefix("step:") }, [], "the ranks trained before `start`")
        XCTAssertEqual(try supervisor.run(), 0)
        XCTAssertEqual(lines.all.filter { $0.hasPrefix("step:") }.count, 2, lines.all.joined(separator: "\n"))
    }

    func testAbandonedGatedRanksEndQuietly() throws {
        let lines = Lines()
        let supervisor = try gatedSupervisor(steps: 2, lines: lines)
        try supervisor.startGated()
        try waitUntilRankZeroWaitsForStart()
        XCTAssertEqual(supervisor.abandon(grace: 10), 0, lines.all.joined(separator: "\n"))
        XCTAssertTrue(lines.all.contains("meshtop-rank: not started (stdin closed before `start`)"), lines.all.joined(separator: "\n"))
        XCTAssertEqual(lines.all.filter { $0.hasPrefix("step:") }, [])
    }

    /// The switch's new ranks were started ahead, and they resume and finish the run.
    func testASwitchStartsItsNewRanksAhead() throws {
        let steps = 10
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        let job = try fixture.job(mesh: meshShape(1, 2), steps: steps,
                                  checkpoints: fixture.checkpoints, receiver: receiver)
        let done = Lines(), refusals = Lines()
        job.onEvent = { record in
            guard case .step(let step) = record.event else { return }
            done.append(String(step.step))
            if step.step == 3 && job.switches.isEmpty {
                receiver.send(.pause)  // the tiny steps must not race the request to the run's end
                do { try job.reconfigure(to: meshShape(2, 1), worldSize: 2) } catch {
                    refusals.append("\(error)")
                    receiver.send(.resume)
                }
            }
        }
        XCTAssertEqual(try job.run(), 0)
        XCTAssertEqual(refusals.all, [])
        XCTAssertEqual(job.switches.count, 1)
        XCTAssertEqual(job.switches.first?.startedAhead, true)
        XCTAssertNil(job.switches.first?.failure)
        XCTAssertEqual(job.currentMesh, meshShape(2, 1))
        XCTAssertEqual(done.all.last, String(steps))
    }
}
