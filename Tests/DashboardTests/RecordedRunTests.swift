import Foundation
import XCTest
import Dashboard
import Telemetry
import Terminal
import TestSupport

/// Real recorded runs: `meshtop run` under real mpirun (the tiny flavor, 4 ranks oversubscribed)
/// records its events; the run is resumed from an earlier checkpoint on another mesh, so steps
/// repeat; the dashboard folds both recordings as a replay would and shows one curve.
final class RecordedRunTests: XCTestCase {
    func testTwoMeshesAndAResumeFromRealRecordings() throws {
        let meshtop = try Products.executable("meshtop")
        let folder = try makeTemporaryFolder(for: self, "dashboard")
        let environment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]
        func run(_ arguments: [String], metrics: String) throws -> [TelemetryRecord] {
            let path = folder.appendingPathComponent(metrics).path
            let result = try ProcessRunner.run([meshtop, "run", "--no-tui", "--flavor", "tiny", "--metrics-file", path,
                                                "--checkpoint-dir", folder.appendingPathComponent("ckpt").path,
                                                "--checkpoint-every", "3"] + arguments,
                                               environment: environment, timeout: 120)
            XCTAssertEqual(result.status, 0, result.stderr)
            return try TelemetryFileReader.readAll(path: path).records
        }
        let first = try run(["--mesh", "2x2", "--steps", "6"], metrics: "first.jsonl")
        let resumed = try run(["--mesh", "4x1", "--steps", "9", "--resume-step", "3"], metrics: "resumed.jsonl")

        var state = DashboardState()
        for record in first + resumed { state.apply(.record(record)) }
        state.apply(.ended(status: 0))

        XCTAssertEqual(state.loss.steps, Array(1 ... 9), "one curve, each step once")
        let resumedLosses = resumed.compactMap { record -> Double? in
            if case .step(let step) = record.event { return step.loss }
            return nil
        }
        XCTAssertEqual(Array(state.loss.values[3...]), resumedLosses, "from step 4 on, the resumed run's values")
        XCTAssertEqual(state.meshChanges.map(\.afterStep), [3])
        XCTAssertEqual(state.mesh.map { [$0.replicate, $0.shard] }, [4, 1])
        XCTAssertEqual(Set(state.checkpoints), [3, 6, 9])
        XCTAssertEqual(state.phase, .finished)

        var view = ViewState()
        view.selectedRank = 2
        view.overlay = .details
        var buffer = Buffer(width: 120, height: 40)
        DashboardView.render(state, view, theme: .defaultDark, glyphs: .unicode, live: false, into: &buffer)
        let text = buffer.text
        XCTAssertTrue(text.contains("step 9/9"), text)
        XCTAssertTrue(text.contains("mesh [4, 1] replicate"), text)
        guard case .hello(let hello)? = resumed.first(where: { $0.event.kind == .hello })?.event else {
            return XCTFail("no hello in the resumed recording")
        }
        XCTAssertTrue(text.contains("pid \(hello.ranks[2].pid)"), "rank 2's details show its pid:\n\(text)")
        XCTAssertTrue(text.contains("loss \(String(format: "%.3f", resumedLosses.last!))"), text)
    }
}
