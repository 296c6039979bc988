import Foundation
import RunSources
import Telemetry
import TestSupport
import XCTest

/// Step lines into steps. The step lines of the replicate run were not published: these are
/// written by TorchtitanLogLines from torchtitan's format strings of both versions, for ranks
/// 0-7 with torchrun's prefixes and torchtitan's colours, interleaved as torchrun's tailer does.
final class TorchtitanStepTests: XCTestCase {
    typealias Figures = TorchtitanLogLines.StepFigures
    static let gib = 1_073_741_824.0

    /// Every rank's figures of `steps` steps (the loss and grad norm are global: one per step).
    static func figures(steps: Int, ranks: Int, naMFU: Bool = false, seed: UInt64) -> [[Figures]] {
        var random = SeededGenerator(seed: seed)
        func uniform(_ low: Double, _ high: Double) -> Double { low + Double(random.next() >> 11) / Double(1 << 53) * (high - low) }
        return (1 ... steps).map { step in
            let loss = uniform(2, 11), norm = uniform(0.1, 5)
            return (0 ..< ranks).map { _ in
                let memory = uniform(0.5, 80)
                return Figures(step: step, loss: loss, gradNorm: norm, memoryGiB: memory, memoryPercent: memory / 94.99 * 100,
                               tps: Int(uniform(900, 250_000)), tflops: uniform(0.01, 1_500), mfu: naMFU ? nil : uniform(0, 99))
            }
        }
    }

    /// The start-up of every rank, then the step lines, each rank's in order, ranks interleaved at random.
    static func consoleLines(_ figures: [[Figures]], format: TorchtitanLogLines.Format, seed: UInt64) -> [String] {
        let ranks = figures[0].count
        var perRank: [[String]] = (0 ..< ranks).map { rank in
            TorchtitanLogLines.startupMessages(format: format, replicate: ranks, shard: 1, steps: figures.count)
                .map { TorchtitanLogLines.line($0, rank: rank, time: 1_700_000_000) }
        }
        for (index, step) in figures.enumerated() {
            for (rank, f) in step.enumerated() {
                perRank[rank].append(TorchtitanLogLines.line(TorchtitanLogLines.stepMessage(f, format: format), rank: rank,
                                                             time: 1_700_000_001 + Double(index) + Double(rank) / 100))
            }
        }
        var random = SeededGenerator(seed: seed)
        var out: [String] = []
        while let rank = (0 ..< ranks).filter({ !perRank[$0].isEmpty }).randomElement(using: &random) {
            out.append(perRank[rank].removeFirst())
        }
        return out
    }

    static func steps(_ records: [TelemetryRecord]) -> [Step] {
        records.compactMap { if case .step(let s) = $0.event { s } else { nil } }
    }

    /// The value Python printed with `decimals` decimals, read back.
    static func printed(_ value: Double, _ decimals: Int) -> Double { Double(String(format: "%.\(decimals)f", value))! }

    func testStepLinesOfBothFormatsForEightRanksParseIntoTheValuesWritten() throws {
        for format in TorchtitanLogLines.Format.allCases {
            let written = Self.figures(steps: 6, ranks: 8, seed: 18)
            let lines = Self.consoleLines(written, format: format, seed: format == .v03 ? 2 : 1)
            XCTAssertTrue(lines.contains { $0.contains("\u{1B}[31mstep: ") }, "the step lines are coloured")
            var fold = TorchtitanFold()
            let records = lines.flatMap { fold.feed($0) } + fold.finish()
            let steps = Self.steps(records)
            XCTAssertEqual(steps.map(\.step), Array(1 ... 6), "\(format)")
            XCTAssertEqual(fold.skipped, [], "no line came too late")
            let lossDecimals = format == .september2025 ? 4 : 5
            for (step, figures) in zip(steps, written) {
                XCTAssertEqual(step.loss, Self.printed(figures[0].loss, lossDecimals), "\(format) step \(step.step)")
                XCTAssertEqual(step.gradNorm, Self.printed(figures[0].gradNorm, 4))
                XCTAssertEqual(step.ranks.map(\.rank), Array(0 ..< 8))
                for (rank, f) in zip(step.ranks, figures) {
                    XCTAssertEqual(rank.tokensPerSecond, Double(f.tps))
                    XCTAssertEqual(rank.tflops, Self.printed(f.tflops, 2))
                    XCTAssertEqual(rank.mfu, Self.printed(f.mfu!, 2))
                    let bytes = Int((Self.printed(f.memoryGiB, 2) * Self.gib).rounded())
                    XCTAssertEqual([rank.residentBytes, rank.peakResidentBytes], [bytes, bytes])
                    XCTAssertEqual(rank.tokens, 8 * 2048)
                    XCTAssertEqual(rank.seconds.total, Double(8 * 2048) / Double(f.tps), accuracy: 1e-12)
                }
            }
            // The hello in force at the first step carries each rank's own capacity line (the first
            // one, at the first trainer line, only those said by then).
            let firstStep = try XCTUnwrap(records.firstIndex { $0.event.kind == .step })
            let hello = try XCTUnwrap(records[..<firstStep].compactMap { if case .hello(let h) = $0.event { h } else { nil } }.last)
            XCTAssertEqual(hello.ranks.map(\.hostMemoryBytes), Array(repeating: Int((94.99 * Self.gib).rounded()), count: 8))
            XCTAssertEqual(fold.hello, hello)
            XCTAssertLessThanOrEqual(records.filter { $0.event.kind == .hello }.count, 2)
        }
    }

    func testMFUNotAvailableIsZeroWithOneWarning() throws {
        let written = Self.figures(steps: 3, ranks: 2, naMFU: true, seed: 7)
        var fold = TorchtitanFold()
        let lines = Self.consoleLines(written, format: .v03, seed: 3)
            + (0 ..< 2).map { TorchtitanLogLines.line("Training completed", rank: $0, time: 1_700_000_100) }
        let records = lines.flatMap { fold.feed($0) }
        XCTAssertEqual(Self.steps(records).flatMap { $0.ranks.map(\.mfu) }, Array(repeating: 0, count: 6))
        XCTAssertEqual(Self.steps(records).flatMap { $0.ranks.map(\.tflops) }, written.flatMap { $0.map { Self.printed($0.tflops, 2) } })
        let warnings = records.compactMap { if case .warning(let n) = $0.event { n } else { nil } }
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].message.hasPrefix("mfu: N/A"), warnings[0].message)
        let done = try XCTUnwrap(records.compactMap { if case .done(let d) = $0.event { d } else { nil } }.first)
        XCTAssertNil(done.summary.meanMFU, "no MFU was computed")
        XCTAssertEqual(done.summary.steps, 3)
    }

    func testALineCutInTheMiddleIsJoinedAgain() {
        let written = Self.figures(steps: 2, ranks: 4, seed: 11)
        let whole = Self.consoleLines(written, format: .september2025, seed: 5)
        var reference = TorchtitanFold()
        let expected = Self.steps(whole.flatMap { reference.feed($0) } + reference.finish())
        let target = whole.lastIndex { $0.hasPrefix("[rank3]:") && $0.contains("step:  2") }!
        let message = whole[target].dropFirst("[rank3]:".count)
        // torchrun's tailer reads a line the writer has not finished: the rest comes as a line of
        // its own, with its own prefix, perhaps after other ranks' lines.
        for cut in stride(from: message.count - 70, to: message.count - 1, by: 9) {
            var lines = whole
            let other = whole.firstIndex { $0.hasPrefix("[rank1]:") }!
            lines[target] = "[rank3]:" + message.prefix(cut)
            lines.insert(contentsOf: [lines[other], "[rank3]:" + message.dropFirst(cut)], at: target + 1)
            var fold = TorchtitanFold()
            let steps = Self.steps(lines.flatMap { fold.feed($0) } + fold.finish())
            XCTAssertEqual(steps, expected, "cut at \(cut) of \(message.count)")
        }
    }

    func testLinesThatAreNotTorchtitansGoToTheLog() {
        let written = Self.figures(steps: 2, ranks: 2, seed: 4)
        var lines = Self.consoleLines(written, format: .v03, seed: 9)
        let garbage = ["Traceback (most recent call last):", "[rank1]:  File \"train.py\", line 3, in <module>",
                       "\u{1B}[31mred text\u{1B}[39m", "[titan] not a header", "[rank9x]:odd prefix", "", "\u{7}\u{FFFD}bytes"]
        for (i, line) in garbage.enumerated() { lines.insert(line, at: 3 + i * 2) }
        lines.insert(TorchtitanLogLines.line("step:  9  loss: banana", rank: 0, time: 1_700_000_050), at: lines.count - 2)
        var fold = TorchtitanFold()
        let records = lines.flatMap { fold.feed($0) } + fold.finish()
        let logs = records.compactMap { if case .log(let l) = $0.event { l } else { nil } }
        for text in ["Traceback (most recent call last):", "  File \"train.py\", line 3, in <module>", "red text",
                     "[titan] not a header", "[rank9x]:odd prefix", "", "\u{7}\u{FFFD}bytes", "step:  9  loss: banana"] {
            XCTAssertTrue(logs.contains { $0.message == text }, "\(text) is in the log")
        }
        XCTAssertEqual(logs.first { $0.message.hasPrefix("  File") }?.rank, 1, "the prefix names the rank")
        XCTAssertEqual(Self.steps(records).map(\.step), [1, 2])
        XCTAssertFalse(records.contains { $0.event.kind == .error })
    }

    func testAStepWaitsForEveryRankOrALaterStepOfTheRanksMissing() {
        func line(_ rank: Int, _ step: Int) -> String {
            let f = Figures(step: step, loss: 5, gradNorm: 1, memoryGiB: 1, memoryPercent: 1, tps: 1000, tflops: 1, mfu: 1)
            return TorchtitanLogLines.line(TorchtitanLogLines.stepMessage(f, format: .v03, colour: false), rank: rank,
                                           time: 1_700_000_000 + Double(step))
        }
        var fold = TorchtitanFold()
        _ = fold.feed("[rank1]:NCCL version 2.27.5+cuda12.6")
        XCTAssertEqual(Self.steps(fold.feed(line(0, 1))), [], "rank 1 has not given step 1 yet")
        XCTAssertEqual(Self.steps(fold.feed(line(1, 1))).map(\.step), [1])
        XCTAssertEqual(Self.steps(fold.feed(line(0, 2)) + fold.feed(line(0, 3))), [])
        // Rank 1 skips step 2 (it will never log it): step 2 goes out with rank 0 alone, then 3.
        let out = Self.steps(fold.feed(line(1, 3)))
        XCTAssertEqual(out.map(\.step), [2, 3])
        XCTAssertEqual(out.map { $0.ranks.map(\.rank) }, [[0], [0, 1]])
        // A rank never heard before whose first line is for a step already out: left out, and said.
        XCTAssertEqual(Self.steps(fold.feed(line(2, 3))), [])
        XCTAssertEqual(fold.skipped, ["rank 2's line for step 3 came after the step was shown"])
        XCTAssertEqual(Self.steps(fold.feed(line(0, 4)) + fold.feed(line(1, 4))), [], "rank 2 is waited for from now on")
        XCTAssertEqual(Self.steps(fold.feed(line(2, 4))).map { $0.ranks.map(\.rank) }, [[0, 1, 2]])
        // Both finish: the done, once.
        let end = fold.feed(TorchtitanLogLines.line("Training completed", rank: 0, time: 1_700_000_010))
            + fold.feed(TorchtitanLogLines.line("Training completed", rank: 1, time: 1_700_000_011)) + fold.finish()
        XCTAssertEqual(end.filter { $0.event.kind == .done }.count, 1)
        XCTAssertTrue(fold.hasFinished)
    }

    func testADevicesCapacityComesFromTheStepLineWhenNoLineSaidIt() throws {
        var fold = TorchtitanFold()
        let startup = TorchtitanLogLines.startupMessages(format: .v03, replicate: 1, shard: 1, steps: 2).filter { !$0.contains("capacity") }
        var records = startup.flatMap { fold.feed(TorchtitanLogLines.line($0, rank: nil, time: 10)) }
        XCTAssertEqual(fold.hello?.ranks.map(\.hostMemoryBytes), [0], "not known at start-up")
        let f = Figures(step: 1, loss: 5, gradNorm: 1, memoryGiB: 47.5, memoryPercent: 50, tps: 1000, tflops: 1, mfu: 1)
        records += fold.feed(TorchtitanLogLines.line(TorchtitanLogLines.stepMessage(f, format: .v03), rank: nil, time: 11))
        XCTAssertEqual(records.suffix(2).map(\.event.kind), [.hello, .step], "a refreshed hello before the step")
        XCTAssertEqual(fold.hello?.ranks.map(\.hostMemoryBytes), [Int(95 * Self.gib)], "47.50 GiB are 50.00% of 95 GiB")
    }

    func testParsingTheStepLineItself() {
        let message = "step: 12  loss:  3.14159  grad_norm:  0.5000  memory: 12.50GiB(13.16%)  tps: 1,234,567  tflops: 1,024.50  mfu: 51.25%"
        XCTAssertEqual(TorchtitanStepLine(message: message),
                       TorchtitanStepLine(step: 12, loss: 3.14159, gradNorm: 0.5, memoryGiB: 12.5, memoryPercent: 13.16,
                                          tokensPerSecond: 1_234_567, tflops: 1024.5, mfu: 51.25, lossDecimals: 5))
        XCTAssertEqual(TorchtitanStepLine(message: message.replacingOccurrences(of: "51.25%", with: "N/A"))?.mfu, .some(nil))
        for broken in [String(message.dropLast(3)), message + " extra", message.replacingOccurrences(of: "tps:", with: "tok:"),
                       "validate " + message, "step:  1  loss:     nan"] {
            XCTAssertNil(TorchtitanStepLine(message: broken), broken)
        }
        XCTAssertEqual(TorchtitanStepLine(message: message.replacingOccurrences(of: " 3.14159", with: "     nan"))?.loss.isNaN, true)
    }
}
