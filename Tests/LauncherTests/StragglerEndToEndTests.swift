import Foundation
import Telemetry
import TestSupport
import XCTest

/// `--debug-slow-rank 3:2.0` on a real 2x2 run: within 3 steps rank 3 is named as the
/// straggler, cause compute, with the group that waits for it and in what; headless and in the
/// dashboard (tmux), where the row and column aggregates are on screen too.
final class StragglerEndToEndTests: XCTestCase {
    private let line = try! NSRegularExpression(
        pattern: "straggler at step ([0-9]+): rank 3: compute [0-9.]+x the median; (shard|replicate) group [0-9]+ waits [0-9.]+ m?s a step in (all-gather|all-reduce|reduce-scatter|broadcast|gather|barrier) for it")

    static func options(_ folder: URL, steps: Int) -> [String] {
        ["--mesh", "2x2", "--flavor", "tiny", "--seq-len", "64", "--peak-tflops", "0.1", "--steps", String(steps),
         "--debug-slow-rank", "3:2.0", "--dump-folder", folder.appendingPathComponent("out").path]
    }

    func testHeadlessNamesTheSlowRankWithinThreeSteps() throws {
        let folder = try makeTemporaryFolder(for: self, "straggler")
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--no-tui"] + Self.options(folder, steps: 8),
                                           timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        let found = result.stderr.split(separator: "\n").map(String.init).first { $0.hasPrefix("meshtop: straggler at step ") }
        let said = try XCTUnwrap(found, result.stderr)
        let match = try XCTUnwrap(line.firstMatch(in: said, range: NSRange(said.startIndex..., in: said)), said)
        let step = Int(said[Range(match.range(at: 1), in: said)!])!
        XCTAssertLessThanOrEqual(step, 3, "named within 3 steps: \(said)")
    }

    func testTheDashboardNamesItWithTheRowAndColumnAggregates() throws {
        let folder = try makeTemporaryFolder(for: self, "straggler-tui")
        let exitFile = folder.appendingPathComponent("exit").path
        let tmux = try TmuxSession(width: 160, height: 48, environment: [
            "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "NO_COLOR": "",
        ])
        let command = ([try Products.executable("meshtop"), "run"] + Self.options(folder, steps: 5000)).joined(separator: " ")
        try tmux.type(command + "; echo $? > \(exitFile)", enter: true)
        // The same report as headless, from the same steps (which names it within 3 steps above).
        let screen = try tmux.waitFor("the straggler and the aggregates", timeout: 120) { lines in
            lines.contains { ($0.contains("straggler rank 3: compute ") && $0.contains(" a step in ")) || $0.contains("straggler r3: compute ") }
                && lines.contains { $0.contains("rows (shard groups) compute+wait r0 ") && $0.contains(" r1 ") }
                && lines.contains { $0.contains("cols (replicate groups) compute+wait s0 ") && $0.contains(" s1 ") }
        }
        XCTAssertTrue(screen.contains { $0.contains("Mesh [2, 2]") }, screen.joined(separator: "\n"))
        XCTAssertEqual(try tmux.quitMeshtop(exitFile: exitFile), "0")
    }
}
