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

    func testGatedRanksTrainOnlyOnceStarted() throws {
        let lines = Lines()
        let supervisor = try gatedSupervisor(steps: 2, lines: lines)
        try supervisor.startGated()
        // Unstarted, a 2-step tiny run would be over well within this.
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertEqual(lines.all.filter { $0.hasPrefix("step:") }, [], "the ranks trained before `start`")
        XCTAssertEqual(try supervisor.run(), 0)
        XCTAssertEqual(lines.all.filter { $0.hasPrefix("step:") }.count, 2, lines.all.joined(separator: "\n"))
    }

    func testAbandonedGatedRanksEndQuietly() throws {
        let lines = Lines()
        let supervisor = try gatedSupervisor(steps: 2, lines: lines)
        try supervisor.startGated()
        Thread.sleep(forTimeInterval: 0.5)
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
