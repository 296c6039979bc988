import FrontendCLI
import Launcher
import Foundation
import Synchronization
import Telemetry
import TestSupport
import XCTest

/// `meshtop run --no-tui`: a progress line on a terminal, plain lines when not.
final class HeadlessPrinterTests: XCTestCase {
    func testTheProgressLineShowsStepBarLossRateElapsedAndETACutToTheWidth() {
        let line = HeadlessPrinter.progressLine(step: 5, total: 20, loss: 7.123456, tokensPerSecond: 12345.4,
                                                elapsed: 75, eta: 3725, width: 200)
        XCTAssertEqual(line, "step 5/20 [###---------] loss 7.1235  12,345 tok/s  elapsed 1:15  ETA 1:02:05")
        XCTAssertEqual(HeadlessPrinter.progressLine(step: 20, total: 20, loss: 1, tokensPerSecond: 0, elapsed: 0, eta: nil, width: 30),
                       "step 20/20 [############] loss")
        XCTAssertEqual(HeadlessPrinter.progressLine(step: 99_999, total: 100_000, loss: 10.5, tokensPerSecond: 123_456, elapsed: 360_000,
                                                    eta: 36_000, width: 60).count, 60, "never wider than the terminal")
        XCTAssertTrue(HeadlessPrinter.progressLine(step: 1, total: 20, loss: 1, tokensPerSecond: 0, elapsed: 0, eta: nil, width: 200)
            .hasSuffix("ETA ?"))
    }

    func testOnATerminalTheProgressLineIsClearedBeforeEachLineRedrawnAfterAndClearedAtTheEnd() {
        // The printer's closures are @Sendable; this test calls it on its own thread only.
        nonisolated(unsafe) var written: [String] = []
        let time = Mutex(100.0)  // the printer's clock
        let printer = HeadlessPrinter(isTerminal: true, columns: 120, now: { time.withLock { $0 } },
                                      out: { written.append("out:" + $0) }, err: { written.append("err:" + $0) })
        printer.line("Building the mesh", isStderr: false)
        XCTAssertEqual(written, ["out:Building the mesh\n"], "no progress line before the first step")
        printer.event(record(.hello(Fixtures.hello(steps: 10))))
        time.withLock { $0 = 101 }
        printer.event(record(.step(Fixtures.step(1, loss: 8, tokensPerSecond: 1000, seconds: 0.5))))
        time.withLock { $0 = 103 }
        printer.event(record(.step(Fixtures.step(2, loss: 7.5, tokensPerSecond: 1000, seconds: 0.5))))
        let progress = "step 2/10 [##----------] loss 7.5000  2,000 tok/s  elapsed 0:03  ETA 0:16"
        XCTAssertEqual(written.last, "out:" + HeadlessPrinter.clear + progress, "8 steps left at 2 s a step")
        written = []
        printer.line("step:  2  loss: 7.5", isStderr: false)
        printer.say("a warning")
        XCTAssertEqual(written, ["out:" + HeadlessPrinter.clear, "out:step:  2  loss: 7.5\n", "out:" + HeadlessPrinter.clear + progress,
                                 "out:" + HeadlessPrinter.clear, "err:meshtop: a warning\n", "out:" + HeadlessPrinter.clear + progress])
        written = []
        printer.finish()
        XCTAssertEqual(written, ["out:" + HeadlessPrinter.clear])
    }

    func testNotOnATerminalLinesArePlain() {
        nonisolated(unsafe) var written: [String] = []  // used on this thread only
        let printer = HeadlessPrinter(isTerminal: false, out: { written.append("out:" + $0) }, err: { written.append("err:" + $0) })
        printer.event(record(.hello(Fixtures.hello(steps: 10))))
        printer.event(record(.step(Fixtures.step(1, loss: 8, tokensPerSecond: 1000, seconds: 0.5))))
        printer.line("a", isStderr: false)
        printer.line("b", isStderr: true)
        printer.say("c")
        printer.finish()
        XCTAssertEqual(written, ["out:a\n", "err:b\n", "err:meshtop: c\n"])
    }

    /// The real thing on a terminal (a pty from script(1)) and on pipes.
    func testMeshtopRunDrawsTheProgressLineOnATerminalOnlyAndPrintsTheSameLogLines() throws {
        let folder = try makeTemporaryFolder(for: self, "printer")
        let command = [try Products.executable("meshtop"), "run", "--no-tui", "--mesh", "1x2", "--flavor", "tiny", "--seq-len", "32",
                       "--steps", "40", "--peak-tflops", "0.1", "--dump-folder", try dumpFolder(in: folder)]
        let onPipes = try ProcessRunner.run(command, timeout: 120)
        XCTAssertEqual(onPipes.status, 0, onPipes.stderr)
        XCTAssertFalse(onPipes.stdout.contains("\r") || onPipes.stdout.contains("\u{1B}"), onPipes.stdout)
        let stepLines = onPipes.stdoutLines.filter { $0.hasPrefix("step:") }
        XCTAssertEqual(stepLines.count, 40)

        let onTerminal = try ProcessRunner.run(["script", "-qfec", command.map(Shell.quote).joined(separator: " "), "/dev/null"],
                                               timeout: 120)
        XCTAssertEqual(onTerminal.status, 0, onTerminal.stdout)
        let screen = onTerminal.stdout
        XCTAssertTrue(screen.contains(HeadlessPrinter.clear + "step 40/40 [############] loss "), screen)
        XCTAssertTrue(screen.hasSuffix(HeadlessPrinter.clear), "the progress line is cleared at the end: \(screen.suffix(200).debugDescription)")
        // Each log line starts on a cleared line, and the same lines are there (the pty turns \n into \r\n).
        let logLines = screen.components(separatedBy: "\r\n").map { line -> String in
            line.components(separatedBy: HeadlessPrinter.clear).last ?? line
        }
        XCTAssertEqual(logLines.filter { $0.hasPrefix("step:") }.count, 40, screen)
        // Once a progress line is up, every log line clears it first (the first steps' lines may
        // come before it: rank 0's lines and its events travel separately; 40 tiny steps leave
        // time for the later ones to come under it).
        let drawn = try XCTUnwrap(screen.range(of: HeadlessPrinter.clear + "step 1/40 "), screen)
        let under = screen[drawn.upperBound...].components(separatedBy: "\r\n").filter { $0.contains("step: ") }
        XCTAssertFalse(under.isEmpty, "log lines came after the first progress line: \(screen)")
        for line in under { XCTAssertTrue(line.contains(HeadlessPrinter.clear + "step: "), line.debugDescription) }
    }

    private func record(_ event: Event) -> TelemetryRecord { TelemetryRecord(time: 0, event: event) }
}

/// Minimal events for the printer.
private enum Fixtures {
    static func hello(steps: Int) -> Hello {
        Hello(config: RunConfig(steps: steps, seqLen: 32, localBatchSize: 8, globalBatchSize: 16, gradAccum: 1, warmupSteps: 2,
                                lr: 8e-4, maxNorm: 1, seed: 0, threads: 1, dataPath: "d", tokenizerPath: "t", arguments: []),
              mesh: MeshLayout(replicate: 1, shard: 2, strategy: "fsdp"),
              model: ModelSummary(flavor: "tiny", dim: 8, nLayers: 1, nHeads: 1, nKVHeads: 1, vocabSize: 10, parameters: 100),
              flopsPerToken: 1, peak: PeakInfo(flops: 1, source: "given", detail: ""), ranks: [])
    }

    static func step(_ n: Int, loss: Double, tokensPerSecond: Double, seconds: Double) -> Step {
        let rank = RankStep(rank: 0, tokens: 256, seconds: StepSeconds(total: seconds, data: 0, compute: seconds, communication: 0, optimizer: 0),
                            tokensPerSecond: tokensPerSecond, tflops: 0, mfu: 0, communication: [:], memory: [:],
                            residentBytes: 0, peakResidentBytes: 0)
        var other = rank
        other.rank = 1
        return Step(step: n, loss: loss, gradNorm: 1, lr: 1e-3, ranks: [rank, other])
    }
}
