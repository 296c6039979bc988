import Foundation
import XCTest
import Dashboard
import FrontendCLI
import Telemetry
import Terminal
import TestSupport

/// A real tiny run on (2, 2) under mpirun, its telemetry folded into the dashboard's state: the
/// picker's prediction for (2, 2), built by PickerPlanner from the run's own hello, equals what
/// the ranks measured, category by category and collective by collective, and the picker shows
/// the two rows alike.
final class MeshPickerRealRunTests: XCTestCase {
    func testPredictionOfTheRunningMeshEqualsItsMeasuredFigures() throws {
        let folder = try makeTemporaryFolder(for: self, "picker")
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        let result = try ProcessRunner.run(
            MPIRun.command(ranks: 4, quiet: true, ["-x", "MESHTOP_TELEMETRY", "-x", "MESHTOP_TELEMETRY_TOKEN",
                                                   try Products.executable("meshtop-rank"), "--mesh", "2x2", "--flavor", "tiny",
                                                   "--seq-len", "32", "--local-batch-size", "2", "--steps", "2",
                                                   "--peak-tflops", "0.1", "--dump-folder", try dumpFolder(in: folder)]),
            environment: receiver.environment, timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)

        var state = DashboardState()
        while let item = receiver.next(timeout: 5) {
            if case .record(let record) = item { state.apply(.record(record)) }
            if case .sessionEnded = item { break }
        }
        let hello = try XCTUnwrap(state.hello)
        let measured = try XCTUnwrap(state.measurement(2, 2))
        XCTAssertEqual(measured.step, 2)
        let predicted = try XCTUnwrap(PickerPlanner.candidates(for: hello, worldSize: 4).first { $0.replicate == 2 && $0.shard == 2 })
        XCTAssertNil(predicted.unavailable)
        XCTAssertEqual(predicted.memory, measured.memory, "every ledger category, to the byte")
        XCTAssertEqual(predicted.bytesSent, measured.bytesSent, "every collective's bytes per step")

        // On screen: the (2, 2) row and its measured row show the same five categories.
        var view = ViewState()
        view.overlay = .meshPicker
        view.picker = MeshPickerView(worldSize: 4, maxWorldSize: 4, selected: 1,
                                     candidates: PickerPlanner.candidates(for: hello, worldSize: 4))
        var frame = Buffer(width: 160, height: 48)
        DashboardView.render(state, view, theme: .defaultDark, glyphs: .ascii, live: true, into: &frame)
        let lines = frame.text.split(separator: "\n").map(String.init)
        let row = try XCTUnwrap(lines.firstIndex { $0.contains("> [2, 2]") }, frame.text)
        let words = { (line: String) in line.split(separator: "|")[2].split(separator: " ").map(String.init) }
        let predictedWords = words(lines[row]), measuredWords = words(lines[row + 1])
        let strategy = try XCTUnwrap(predictedWords.firstIndex(of: "HSDP"))
        XCTAssertEqual(measuredWords.first, "measured")
        XCTAssertEqual(Array(predictedWords[strategy + 1 ... strategy + 5]), Array(measuredWords[1 ... 5]),
                       "par grd opt gat act:\n\(lines[row])\n\(lines[row + 1])")
    }
}
