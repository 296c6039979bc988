import XCTest
import Dashboard
import Telemetry
import Terminal

/// A failure recovered from (`--on-failure shrink`): X and R on the loss chart, the line in the
/// header, the lost rank in the mesh panel.
final class RecoveryMarksTests: XCTestCase {
    /// (2, 2) to step 18 (checkpoint at 15), rank 3 lost, a relaunch on (1, 2) resuming from 15.
    static func shrunkRun(resumed: Bool = true) -> [DashboardInput] {
        let start = 1_000.0
        var inputs = [Fixtures.hello(replicate: 2, shard: 2, steps: 40, time: start)]
        for n in 1 ... 18 { inputs.append(Fixtures.step(n, world: 4, shard: 2, time: start + Double(n))) }
        let relaunching = "rank 3 lost at step 18 on [2, 2]; relaunching on [1, 2] from the checkpoint of step 15 in 0.5 s"
        inputs.append(Fixtures.record(start + 19, .recovery(RecoveryNotice(
            phase: .relaunching, failure: 1, lostRanks: [3], lostHost: nil, failedAfterStep: 18, from: [2, 2], to: [1, 2],
            message: relaunching))))
        guard resumed else { return inputs }
        inputs.append(Fixtures.hello(replicate: 1, shard: 2, steps: 40, time: start + 20))
        inputs.append(Fixtures.step(16, world: 2, shard: 2, time: start + 21))
        inputs.append(Fixtures.record(start + 21, .recovery(RecoveryNotice(
            phase: .resumed, failure: 1, lostRanks: [3], lostHost: nil, failedAfterStep: 18, from: [2, 2], to: [1, 2],
            resumedAtStep: 15, seconds: 2.1, stepsRedone: 3,
            message: "rank 3 lost at step 18 on [2, 2]; resumed at step 15 on [1, 2] in 2.1 s; 3 steps redone"))))
        for n in 17 ... 30 { inputs.append(Fixtures.step(n, world: 2, shard: 2, time: start + 21 + Double(n - 16))) }
        return inputs
    }

    func testTheFailureAndTheResumeAreMarkedNamedAndTheLostRankShown() {
        let state = Fixtures.state(Self.shrunkRun())
        XCTAssertEqual(state.recoveries.map(\.phase), [.resumed], "one failure, its latest event")
        XCTAssertEqual(state.phase, .running)
        let buffer = render(state, width: 200, height: 50)
        let text = buffer.lines.joined(separator: "\n")
        XCTAssertTrue(buffer.lines[1].contains("rank 3 lost at step 18 on [2, 2]; resumed at step 15 on [1, 2] in 2.1 s; 3 steps redone"),
                      buffer.lines[1])
        XCTAssertTrue(text.contains("X failure R resumed"), text)
        let xRow = buffer.lines.firstIndex { $0.hasPrefix("│       │") && $0.contains("X") }
        XCTAssertNotNil(xRow, "the X mark on the chart:\n\(text)")
        XCTAssertTrue(xRow.map { buffer.lines[$0 + 1].contains("R") } ?? false, "the R mark a row below:\n\(text)")
        XCTAssertTrue(buffer.lines.contains { $0.contains("│8.16   │") && $0.contains("M") }, "the mesh change's M stays above the R")
        XCTAssertTrue(text.contains("lost rank 3 at step 18 on [2, 2]"), text)
        XCTAssertTrue(text.contains("Mesh [1, 2] FSDP"), "the new mesh:\n\(text)")
    }

    func testAFailureRightAfterACheckpointShowsBothMarksInOneColumn() {
        var inputs = Array(Self.shrunkRun().prefix(19))
        inputs.append(Fixtures.record(1_020, .recovery(RecoveryNotice(
            phase: .resumed, failure: 1, lostRanks: [3], lostHost: nil, failedAfterStep: 15, from: [2, 2], to: [1, 2],
            resumedAtStep: 15, seconds: 1, stepsRedone: 0, message: "resumed"))))
        let lines = render(Fixtures.state(inputs), width: 200, height: 50).lines
        guard let row = lines.firstIndex(where: { $0.hasPrefix("│       │") && $0.contains("X") }),
              let column = lines[row].firstIndex(of: "X") else { return XCTFail("no X mark:\n" + lines.joined(separator: "\n")) }
        let offset = lines[row].distance(from: lines[row].startIndex, to: column)
        let below = lines[row + 1]
        XCTAssertEqual(below[below.index(below.startIndex, offsetBy: offset)], "R", "R under X:\n" + lines[row ... row + 1].joined(separator: "\n"))
    }

    func testWhileRelaunchingTheHeaderSaysSoAndThePhaseIsRelaunching() {
        let state = Fixtures.state(Self.shrunkRun(resumed: false))
        XCTAssertEqual(state.phase, .relaunching)
        let header = render(state, width: 200, height: 50).lines[0 ... 1].joined(separator: "\n")
        XCTAssertTrue(header.contains("relaunching"), header)
        XCTAssertTrue(header.contains("rank 3 lost at step 18 on [2, 2]; relaunching on [1, 2]"), header)
    }

    func testARecoveryEventSurvivesTheWire() throws {
        let notice = RecoveryNotice(phase: .gaveUp, failure: 2, lostRanks: [2, 3], lostHost: "mt2", failedAfterStep: nil,
                                    from: [1, 2], to: nil, message: "giving up after 2 failures")
        let line = try LineCoding.encode(TelemetryRecord(time: 5, event: .recovery(notice)))
        let text = String(decoding: line, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix(#"{"event":"recovery","time":5"#), text)
        XCTAssertTrue(text.contains(#""phase":"gave_up""#), text)
        guard case .success(let parsed) = LineCoding.decode(line.dropLast()) else { return XCTFail("not decoded: \(text)") }
        XCTAssertEqual(parsed.record.event, .recovery(notice))
    }
}
