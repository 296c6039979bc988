import Foundation
import TestSupport
import XCTest

/// The dashboard on a real terminal (tmux), following a real run of the tiny flavor on (2, 2).
final class DashboardEndToEndTests: XCTestCase {
    func testLiveRunOnTwoByTwo() throws {
        let meshtop = try Products.executable("meshtop")
        let folder = try makeTemporaryFolder(for: self, "e2e")
        let metrics = folder.appendingPathComponent("metrics.jsonl").path
        let exitFile = folder.appendingPathComponent("exit").path

        let tmux = try TmuxSession(width: 120, height: 36, environment: EndToEndRun.rankEnvironment.merging([
            // Colours on whatever the caller's NO_COLOR (swift test may set it): the default theme first.
            "NO_COLOR": "",
        ]) { $1 })
        try tmux.type("stty -g > \(folder.path)/stty-before", enter: true)
        try tmux.type("\(meshtop) run --flavor tiny --mesh 2x2 --steps 5000 --metrics-file \(metrics)"
                      + " --checkpoint-dir \(folder.path)/ckpt; echo $? > \(exitFile)", enter: true)

        // The step counter and the loss curve advance.
        let first = try tmux.waitFor("a step counter past step 2", timeout: 60) { (Self.step(in: $0) ?? 0) >= 2 }
        let firstStep = try XCTUnwrap(Self.step(in: first))
        let later = try tmux.waitFor("the step counter to advance") { (Self.step(in: $0) ?? 0) >= firstStep + 5 }
        XCTAssertNotEqual(Self.braille(in: first), Self.braille(in: later), "the loss curve did not change")
        XCTAssertGreaterThan(Self.braille(in: later).count, 10, "no loss curve drawn:\n" + later.joined(separator: "\n"))

        // Help opens and closes.
        try tmux.type("?")
        try tmux.waitFor(text: "Keys (Esc closes)")
        try tmux.press("Escape")
        try tmux.waitFor("the help to close") { !$0.joined().contains("Keys (Esc closes)") }

        // Rank 1 (right of rank 0 on the mesh): its details carry its pid from the run's hello.
        let pids = try Self.rankPids(metrics)
        XCTAssertEqual(pids.count, 4)
        try tmux.press("Right")
        try tmux.press("Enter")
        let details = try tmux.waitFor(text: "Rank 1 (")
        XCTAssertTrue(details.contains { $0.contains("pid \(pids[1])") }, details.joined(separator: "\n"))
        try tmux.press("Escape")
        try tmux.waitFor("the details to close") { !$0.joined().contains("Rank 1 (") }

        // A resize redraws at the new size: the frame's right edge moves to the new last column.
        try tmux.resize(width: 90, height: 28)
        try tmux.waitFor("a 90-column frame") { screen in
            screen.contains { $0.count == 90 && $0.hasSuffix("╮") } && !screen.contains { $0.count > 90 }
        }

        // Themes cycle (the footer names the theme in use).
        try tmux.waitFor(text: "theme default")
        try tmux.type("t")
        try tmux.waitFor("another theme") { screen in
            screen.contains { $0.contains("theme ") && !$0.contains("theme default") && $0.contains("? help") }
        }

        // Quit asks first; y stops the run and quits.
        try tmux.type("q")
        try tmux.waitFor(text: "Stop the run and quit?")
        try tmux.type("y")
        XCTAssertEqual(try EndToEndRun.line(writtenTo: exitFile, timeout: 30), "0", "meshtop's exit status")

        // The shell works as before: same terminal modes, and it echoes.
        try tmux.type("stty -g > \(folder.path)/stty-after; echo shell-is-\\back", enter: true)
        try tmux.waitFor(text: "shell-is-back")
        let before = try String(contentsOfFile: folder.path + "/stty-before", encoding: .utf8)
        let after = try String(contentsOfFile: folder.path + "/stty-after", encoding: .utf8)
        XCTAssertEqual(before, after, "the terminal modes differ after meshtop quit")

        // No rank of the job is left.
        for pid in pids {
            XCTAssertFalse(kill(pid, 0) == 0, "rank process \(pid) is still running")
        }
    }

    /// Ctrl-C stops the job (as headless) and then the dashboard; the terminal is as it was.
    func testCtrlCStopsTheRunAndRestoresTheTerminal() throws {
        let meshtop = try Products.executable("meshtop")
        let folder = try makeTemporaryFolder(for: self, "e2e")
        let metrics = folder.appendingPathComponent("metrics.jsonl").path
        let exitFile = folder.appendingPathComponent("exit").path
        let tmux = try TmuxSession(width: 100, height: 30, environment: EndToEndRun.rankEnvironment)
        try tmux.type("stty -g > \(folder.path)/stty-before; \(meshtop) run --flavor tiny --mesh 2x2 --steps 5000"
                      + " --metrics-file \(metrics); echo $? > \(exitFile); stty -g > \(folder.path)/stty-after", enter: true)
        try tmux.waitFor("a step counter past step 2", timeout: 60) { (Self.step(in: $0) ?? 0) >= 2 }
        try tmux.press("C-c")
        let sttyAfter = try EndToEndRun.line(writtenTo: folder.path + "/stty-after", timeout: 15)
        XCTAssertEqual(try EndToEndRun.line(writtenTo: exitFile, timeout: 1), "0", "a stopped run exits 0")
        XCTAssertEqual(try EndToEndRun.line(writtenTo: folder.path + "/stty-before", timeout: 1), sttyAfter)
        let screen = try tmux.waitFor(text: "meshtop: ")
        XCTAssertTrue(screen.contains { $0.contains("meshtop: stopped with status 0") }, screen.joined(separator: "\n"))
        for pid in try Self.rankPids(metrics) {
            XCTAssertFalse(kill(pid, 0) == 0, "rank process \(pid) is still running")
        }
    }

    /// The N of the header's "step N/total".
    static func step(in screen: [String]) -> Int? {
        for line in screen {
            guard let range = line.range(of: #"step (\d+)/\d+"#, options: .regularExpression) else { continue }
            let digits = line[range].dropFirst(5).prefix { $0.isNumber }
            return Int(digits)
        }
        return nil
    }

    /// The braille cells of the screen with their positions (the loss chart).
    static func braille(in screen: [String]) -> [String] {
        screen.enumerated().flatMap { row, line in
            line.unicodeScalars.enumerated().compactMap { column, scalar in
                (0x2801 ... 0x28FF).contains(scalar.value) ? "\(row):\(column):\(scalar.value)" : nil
            }
        }
    }

    /// The ranks' pids, in rank order, from the run's hello event.
    static func rankPids(_ metrics: String) throws -> [pid_t] {
        let text = try String(contentsOfFile: metrics, encoding: .utf8)
        for line in text.split(separator: "\n") where line.contains("\"hello\"") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let ranks = object["ranks"] as? [[String: Any]] else { continue }
            return ranks.compactMap { ($0["pid"] as? NSNumber).map { pid_t($0.int32Value) } }
        }
        throw TestSupportError("no hello event in \(metrics)")
    }
}
