import Foundation
import Synchronization
import TestSupport
import XCTest

/// `meshtop watch` in a real terminal (tmux) on a torchtitan log that a writer appends to at 10
/// lines a second, as a run under torchrun would: the dashboard shows each step within 1 s of
/// the step's last line being written.
final class WatchEndToEndTests: XCTestCase {
    typealias Lines = TorchtitanLogLines
    static let steps = 10, ranks = 8

    func testTheDashboardFollowsALogAppendedTenLinesASecond() throws {
        let meshtop = try Products.executable("meshtop")
        let folder = try makeTemporaryFolder(for: self, "watch-e2e")
        let log = folder.appendingPathComponent("train.log")
        let exitFile = folder.appendingPathComponent("exit").path
        try Data().write(to: log)
        let tmux = try TmuxSession(width: 140, height: 40, environment: ["NO_COLOR": ""])
        try tmux.type("\(meshtop) watch \(log.path); echo $? > \(exitFile)", enter: true)
        try tmux.waitFor(text: "waiting for the run")

        // The replicate run's start-up lines (from each rank), then its 8 ranks' step lines (one
        // format a half).
        let startup = try String(contentsOf: Products.packageRoot.appendingPathComponent(
            "Tests/RunSourcesTests/Fixtures/torchtitan-replicate-startup.log"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        var lines = Lines.everyRank(startup, ranks: Self.ranks).map { (line: $0, step: 0) }
        let base = 1_757_957_916.154 + 5  // the log's clock: 5 s after its last start-up line
        for step in 1 ... Self.steps {
            for rank in 0 ..< Self.ranks {
                let f = Lines.StepFigures(step: step, loss: 11 - Double(step) * 0.4, gradNorm: 1, memoryGiB: 20 + Double(rank),
                                          memoryPercent: (20 + Double(rank)) / 94.99 * 100, tps: 40_000, tflops: 200, mfu: 20.25)
                let message = Lines.stepMessage(f, format: step <= 5 ? .september2025 : .v03)
                lines.append((Lines.line(message, rank: rank, time: base + Double(step)), rank == Self.ranks - 1 ? step : 0))
            }
        }
        lines += (0 ..< Self.ranks).map { (Lines.line("Training completed", rank: $0, time: base + 11), 0) }
        let written = WrittenTimes()
        let script = lines
        let writer = Thread {
            guard let handle = try? FileHandle(forWritingTo: log) else { return }
            for (line, step) in script {
                try? handle.write(contentsOf: Data((line + "\n").utf8))
                if step > 0 { written.set(step, Date().timeIntervalSince1970) }
                Thread.sleep(forTimeInterval: 0.1)
            }
            try? handle.close()
        }
        writer.start()

        // Each step's first appearance in the header, against when its last line was written.
        var delays: [Int: Double] = [:]
        let deadline = Date().addingTimeInterval(Double(lines.count) / 10 + 20)
        var screen: [String] = []
        while delays.count < Self.steps && Date() < deadline {
            screen = try tmux.capture()
            let seen = Date().timeIntervalSince1970
            if let shown = DashboardEndToEndTests.step(in: screen) {
                for step in 1 ... max(1, shown) where delays[step] == nil {
                    if let at = written.get(step) { delays[step] = seen - at }
                }
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        XCTAssertEqual(delays.count, Self.steps, "steps shown: \(delays.keys.sorted()); the screen:\n" + screen.joined(separator: "\n"))
        let sorted = delays.values.sorted()
        let figures = String(format: "meshtop watch: a step shown %.3f s after its last line was written (median), %.3f s at most, over %d steps\n",
                             sorted[sorted.count / 2], sorted.last ?? 0, sorted.count)
        FileHandle.standardError.write(Data(figures.utf8))
        for (step, delay) in delays.sorted(by: { $0.key < $1.key }) {
            XCTAssertLessThan(delay, 1.0, "step \(step) was shown \(delay) s after its line was written")
        }

        // What the dashboard shows of it: the mesh, per-rank memory and MFU, the loss, the run's end.
        screen = try tmux.waitFor(text: "finished")
        let text = screen.joined(separator: "\n")
        FileHandle.standardError.write(Data((text + "\n").utf8))
        // The header's clock is the log's: from the first start-up line (17:38:26.676) to the last
        // (5 + 11 s after the trainer's line at 17:38:36.154), 25.5 s.
        for expected in ["Mesh [8, 1] replicate", "llama3 debugmodel on c4_test", "step 10/10", "mfu 20.2%", "r7 27.0G 410ms",
                         "elapsed 0:25", "Training completed"] {
            XCTAssertTrue(text.contains(expected), "\(expected) is not on the screen:\n\(text)")
        }
        XCTAssertGreaterThan(DashboardEndToEndTests.braille(in: screen).count, 10, "no loss curve:\n\(text)")

        // The keys that steer a run do nothing; q quits at once with status 0.
        try tmux.type("p")
        try tmux.type("q")
        XCTAssertEqual(try EndToEndRun.line(writtenTo: exitFile, timeout: 10), "0")
        writer.cancel()
    }
}

/// When each step's last line was written, set by the writer thread.
private final class WrittenTimes: Sendable {
    private let times = Mutex<[Int: Double]>([:])

    func set(_ step: Int, _ time: Double) { times.withLock { $0[step] = time } }
    func get(_ step: Int) -> Double? { times.withLock { $0[step] } }
}
