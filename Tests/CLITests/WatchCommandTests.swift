import Foundation
import RunSpec
import TestSupport
import XCTest

/// `meshtop watch` headless (stdout a pipe, or --no-tui) on a whole torchtitan log: the run's
/// shape, then one line per step with the figures the log's lines carried.
final class WatchCommandTests: XCTestCase {
    typealias Lines = TorchtitanLogLines

    static let startup = Products.packageRoot.appendingPathComponent("Tests/RunSourcesTests/Fixtures/torchtitan-replicate-startup.log")

    /// The replicate run's start-up lines (from every rank), then 10 steps of its 8 ranks in 0.3's format (step 4
    /// with `mfu: N/A`), ranks out of step by one line, every rank's "Training completed".
    static func log(losses: [Double]) throws -> String {
        var lines: [String] = []
        for (index, loss) in losses.enumerated() {
            for rank in 0 ..< 8 {
                let f = Lines.StepFigures(step: index + 1, loss: loss, gradNorm: 1.5 - Double(index) / 10, memoryGiB: 10 + Double(rank),
                                          memoryPercent: (10 + Double(rank)) / 94.99 * 100, tps: 50_000 + 100 * rank, tflops: 300.25,
                                          mfu: index == 3 ? nil : 30.5)
                lines.append(Lines.line(Lines.stepMessage(f, format: .v03), rank: rank, time: 1_757_958_000 + Double(index) * 2))
            }
        }
        lines.swapAt(7, 8)  // rank 0's step 2 before rank 7's step 1
        lines += (0 ..< 8).map { Lines.line("Training completed", rank: $0, time: 1_757_958_030) }
        let rank0 = try String(contentsOf: startup, encoding: .utf8).split(separator: "\n").map(String.init)
        var every = Lines.everyRank(rank0, ranks: 8)
        // Rank 7 says its device's capacity late, after the trainer lines: the hello is refreshed.
        let late = every.firstIndex { $0.hasPrefix("[rank7]:") && $0.contains("CUDA capacity") }!
        every.append(every.remove(at: late))
        return (every + lines).joined(separator: "\n") + "\n"
    }

    func testWatchingAWholeFileHeadlessPrintsEachStep() throws {
        let meshtop = try Products.executable("meshtop")
        let folder = try makeTemporaryFolder(for: self, "watch-headless")
        let file = folder.appendingPathComponent("train.log")
        let losses = (0 ..< 10).map { 10.5 - Double($0) * 0.37 }
        try Self.log(losses: losses).write(to: file, atomically: true, encoding: .utf8)
        for arguments in [["watch", "--no-tui", file.path], ["watch", file.path]] {
            let result = try ProcessRunner.run([meshtop] + arguments, timeout: 60)
            XCTAssertEqual(result.status, 0, result.stderr)
            let out = result.stdoutLines
            XCTAssertEqual(out.first, "mesh [8, 1] replicate, 8 ranks; debugmodel, 6,139,136 parameters; local batch 8, "
                           + "global batch 64, seq_len 2048, 10 steps (warmup 2); peak 989.0 TFLOP/s a device")
            XCTAssertEqual(out.filter { $0.hasPrefix("mesh ") }.count, 1, "a refreshed hello is not printed again")
            let steps = out.filter { $0.hasPrefix("step ") }
            XCTAssertEqual(steps.count, 10, out.joined(separator: "\n"))
            for (index, line) in steps.enumerated() {
                XCTAssertTrue(line.hasPrefix("step \(index + 1)/10 ["), line)
                XCTAssertTrue(line.contains(String(format: "loss %.4f", losses[index])), line)
                XCTAssertTrue(line.contains("ranks 8/8"), line)
                XCTAssertTrue(line.contains("memory 17.00 GiB max"), line)
                XCTAssertTrue(line.contains(index == 3 ? "mfu 0.00%" : "mfu 30.50%"), line)
                XCTAssertTrue(line.contains(String(format: "grad_norm %.4f", 1.5 - Double(index) / 10)), line)
                XCTAssertTrue(line.contains("\(Self.grouped(8 * 50_000 + 100 * 28)) tok/s"), line)
            }
            // The log's own clock: the first start-up line at 17:38:26.676, step 10's lines 111.3 s later.
            XCTAssertTrue(steps[9].contains("elapsed 1:51  ETA ?"), steps[9])
            XCTAssertEqual(out.last.map { $0.hasPrefix("done: training completed after 10 step(s), final loss 7.17000") }, true,
                           out.last ?? "")
            XCTAssertTrue(result.stderr.contains("meshtop: warning: rank 0 step 4: mfu: N/A"), result.stderr)
            if arguments.count == 2 { XCTAssertFalse(result.stderr.contains("no \"Training completed\"")) }
        }
    }

    func testAFileWithNoTorchtitanLineIsRefusedAndACutOneSaysSo() throws {
        let meshtop = try Products.executable("meshtop")
        let folder = try makeTemporaryFolder(for: self, "watch-bad")
        let notes = folder.appendingPathComponent("notes.txt")
        try "just text\n".write(to: notes, atomically: true, encoding: .utf8)
        let refused = try ProcessRunner.run([meshtop, "watch", "--no-tui", notes.path], timeout: 30)
        XCTAssertEqual(refused.status, 2)
        XCTAssertEqual(refused.stderrLines, ["meshtop: \(notes.path): no torchtitan log line in it (none starts `[titan] <date> <time>,<ms> - `)"])
        let missing = try ProcessRunner.run([meshtop, "watch", folder.appendingPathComponent("nothing").path], timeout: 30)
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderrLines.count, 1, missing.stderr)

        let cut = folder.appendingPathComponent("cut.log")
        try String(contentsOf: Self.startup, encoding: .utf8).write(to: cut, atomically: true, encoding: .utf8)
        let started = try ProcessRunner.run([meshtop, "watch", cut.path], timeout: 30)
        XCTAssertEqual(started.status, 0)
        XCTAssertEqual(started.stdoutLines.count, 1, "the run's shape, no step")
        XCTAssertTrue(started.stderr.contains("no \"Training completed\" line: the run goes on, or was cut off"), started.stderr)
    }

    func testFollowGoesOnReadingPastTheEnd() throws {
        let meshtop = try Products.executable("meshtop")
        let folder = try makeTemporaryFolder(for: self, "watch-follow")
        let file = folder.appendingPathComponent("train.log")
        let text = try Self.log(losses: [9, 8.5, 8])
        let startup = text.split(separator: "\n").prefix { !$0.contains("step:") }
        try (startup.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let jobFolder = folder.appendingPathComponent("job")
        try FileManager.default.createDirectory(at: jobFolder, withIntermediateDirectories: true)
        let job = try BackgroundJob([meshtop, "watch", "--no-tui", "--follow", "--poll-interval", "0.05", file.path], folder: jobFolder)
        defer { job.kill() }
        func output(contains text: String) -> Bool {
            let end = Date().addingTimeInterval(20)
            while Date() < end {
                if ((try? String(contentsOf: job.out, encoding: .utf8)) ?? "").contains(text) { return true }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return false
        }
        XCTAssertTrue(output(contains: "mesh [8, 1] replicate"), job.stderr)
        try text.write(to: file, atomically: false, encoding: .utf8)  // the rest of the run, appended in place
        XCTAssertTrue(output(contains: "step 3/10"), job.stderr)
        XCTAssertTrue(output(contains: "done: training completed after 3 step(s)"), job.stderr)
        XCTAssertTrue(job.isRunning, "--follow goes on past the end of the file")
    }

    func testHelpExplainsIt() throws {
        let help = try ProcessRunner.run([try Products.executable("meshtop"), "watch", "--help"], timeout: 30).stdout
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for text in ["--no-tui", "--follow", "--poll-interval", "--log-dir", "[rankN]:", "q quits at once", "do nothing here",
                     "(exit status 2)", "stdout.log and stderr.log"] {
            XCTAssertTrue(help.contains(text), "\(text) is not in:\n\(help)")
        }
    }

    static func grouped(_ n: Int) -> String { PythonFormat.grouped(n) }
}
