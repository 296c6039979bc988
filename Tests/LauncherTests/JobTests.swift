import Foundation
import RunSpec
import Launcher
import RunOptions
import Telemetry
import TestSupport
import XCTest

/// Switching meshes through `Launcher.Job`, under real mpirun with the tiny flavor.
final class JobTests: XCTestCase {
    var fixture: JobFixture!

    override func setUpWithError() throws { fixture = try JobFixture(for: self) }

    func job(mesh: MeshShape, steps: Int, checkpoints: String?, receiver: TelemetryReceiver) throws -> Launcher.Job {
        try fixture.job(mesh: mesh, steps: steps, checkpoints: checkpoints, receiver: receiver)
    }

    /// The acceptance scenario of issue 8: (2,2) -> (4,1) -> (1,4) -> (1,2) on 2 ranks, each switch
    /// asked for a few steps into a generation; the losses equal an uninterrupted (2,2) run's.
    func testSwitchingThreeTimesKeepsTheLossesOfTheUninterruptedRun() throws {
        let steps = 24
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        let baseline = Recorder()
        let plain = try job(mesh: meshShape(2, 2), steps: steps, checkpoints: nil, receiver: receiver)
        plain.onEvent = { baseline.append($0.event) }
        XCTAssertEqual(try plain.run(), 0)
        XCTAssertEqual(plain.state, .finished(0))
        XCTAssertEqual(baseline.losses.keys.sorted(), Array(1...steps))

        let plan: [MeshShape] = [meshShape(4, 1), meshShape(1, 4),
                                  meshShape(1, 2)]
        let switching = try job(mesh: meshShape(2, 2), steps: steps,
                                checkpoints: fixture.checkpoints, receiver: receiver)
        let events = Recorder()
        let failures = Recorder()
        var generationSteps = 0
        switching.onEvent = { record in
            events.append(record.event)
            if case .hello = record.event { generationSteps = 0 }
            guard case .step = record.event else { return }
            generationSteps += 1
            // A few steps into each generation; pause first so the tiny steps cannot race the run's end.
            let asked = switching.switches.count
            if generationSteps == 3 && asked < plan.count {
                receiver.send(.pause)
                do { try switching.reconfigure(to: plan[asked], worldSize: plan[asked].replicate * plan[asked].shard) } catch {
                    failures.append(.log(LogLine(message: "\(error)")))
                    receiver.send(.resume)
                }
            }
        }
        let status = try switching.run()
        XCTAssertEqual(failures.all, [])
        XCTAssertEqual(status, 0)
        XCTAssertEqual(switching.state, .finished(0))
        XCTAssertEqual(switching.currentMesh, meshShape(1, 2))

        let hellos = events.all.compactMap { event -> Hello? in if case .hello(let h) = event { return h }; return nil }
        XCTAssertEqual(hellos.map { meshShape($0.mesh.replicate, $0.mesh.shard) },
                       [meshShape(2, 2)] + plan)
        XCTAssertEqual(hellos.map(\.config.globalBatchSize), [32, 32, 32, 32], "the global batch is kept")
        XCTAssertEqual(hellos.map(\.config.gradAccum), [1, 1, 1, 2])
        XCTAssertEqual(hellos.map(\.ranks.count), [4, 4, 4, 2])

        let switches = switching.switches
        XCTAssertEqual(switches.map(\.to), plan)
        for record in switches {
            XCTAssertNil(record.failure)
            XCTAssertEqual(record.phases.map(\.phase), [.checkpointing, .relaunching, .resharding, .running])
            let checkpoint = try XCTUnwrap(record.checkpoint)
            XCTAssertEqual(record.firstStep, checkpoint.step + 1, "the new mesh goes on where the old one stopped")
            XCTAssertGreaterThan(try XCTUnwrap(record.seconds), 0)
        }

        // Every step once, each loss equal to the uninterrupted run's to a relative 1e-5.
        let recorded = events.all.compactMap { event -> Int? in if case .step(let s) = event { return s.step }; return nil }
        XCTAssertEqual(recorded, Array(1...steps), "each step recorded once, in order")
        var largest = 0.0
        for step in 1...steps {
            let a = try XCTUnwrap(events.losses[step]), b = try XCTUnwrap(baseline.losses[step])
            let relative = abs(a - b) / abs(b)
            largest = max(largest, relative)
            XCTAssertLessThanOrEqual(relative, 1e-5, "step \(step): \(a) after switches, \(b) uninterrupted")
        }
        print("JobTests: largest relative loss difference over \(steps) steps: \(largest); switches took "
              + switches.map { String(format: "%.2f s", $0.seconds ?? -1) }.joined(separator: ", "))
        guard case .done(let done)? = events.all.last else { return XCTFail("the last event is not done") }
        XCTAssertEqual(done.reason, "completed")
    }
}

/// A folder for a test's runs, and jobs of the tiny flavor whose outputs go there.
struct JobFixture {
    let folder: URL

    /// The folder is removed when `test` ends.
    init(for test: XCTestCase) throws {
        folder = try makeTemporaryFolder(for: test, "job")
    }

    /// Where its runs keep their checkpoints, when they do.
    var checkpoints: String { folder.appendingPathComponent("ckpt").path }

    /// The first plan of a run on `mesh`: tiny flavor, global batch local 8 x ranks.
    func plan(mesh: MeshShape, steps: Int, checkpoints: String?, receiver: TelemetryReceiver) throws -> LaunchPlan {
        try LaunchPlan(rankExecutable: try Products.executable("meshtop-rank"),
                   rankArguments: ["--mesh", "\(mesh.replicate)x\(mesh.shard)", "--flavor", "tiny", "--seq-len", "32",
                                   "--steps", String(steps), "--peak-tflops", "0.1",
                                   "--dump-folder", try dumpFolder(in: folder)]
                       + (checkpoints.map { ["--checkpoint-dir", $0] } ?? []),
                   exportedVariables: Array(receiver.environment.keys).sorted())
    }

    /// Relaunches of `plan` keeping its global batch (what `meshtop run` does).
    func planner(_ plan: LaunchPlan) -> Launcher.Job.Planner {
        let batch = GlobalBatch(localBatchSize: 8, gradAccum: 1, ranks: plan.ranks)
        return { target, _ in try plan.relaunched(on: target, keeping: batch, localBatchSize: 8) }
    }

    func job(mesh: MeshShape, steps: Int, checkpoints: String?, receiver: TelemetryReceiver,
             planner custom: ((LaunchPlan) -> Launcher.Job.Planner)? = nil) throws -> Launcher.Job {
        let first = try plan(mesh: mesh, steps: steps, checkpoints: checkpoints, receiver: receiver)
        let job = Launcher.Job(plan: first, mesh: mesh, receiver: receiver, planner: (custom ?? planner)(first))
        job.say = { _ in }
        return job
    }
}

/// Events received, in order, from the job's thread.
final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [Event] = []
    func append(_ event: Event) { lock.lock(); events.append(event); lock.unlock() }
    var all: [Event] { lock.lock(); defer { lock.unlock() }; return events }
    /// The loss of each step.
    var losses: [Int: Double] {
        var out: [Int: Double] = [:]
        for case .step(let s) in all { out[s.step] = s.loss }
        return out
    }
}
