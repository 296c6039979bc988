import Foundation
import RunSources
import Telemetry
import TestSupport
import XCTest

/// RunLoader's torchtitan branch (a console log, torchrun's --log-dir folder) and the follower
/// `meshtop watch` reads them with: lines as they are written give what the whole file gives.
final class TorchtitanLoaderTests: XCTestCase {
    typealias Lines = TorchtitanLogLines

    /// A console log: the replicate run's real start-up lines, then step lines of 8 ranks.
    static func consoleLog(steps: Int = 4) throws -> String {
        let startup = Lines.everyRank(try String(contentsOfFile: TorchtitanStartupTests.fixture, encoding: .utf8)
            .split(separator: "\n").map(String.init), ranks: 8).joined(separator: "\n") + "\n"
        let figures = TorchtitanStepTests.figures(steps: steps, ranks: 8, seed: 3)
        let stepLines = figures.enumerated().flatMap { index, ranks in
            ranks.enumerated().map { rank, f in
                Lines.line(Lines.stepMessage(f, format: .september2025), rank: rank, time: 1_757_958_000 + Double(index))
            }
        }
        let end = (0 ..< 8).map { Lines.line("Training completed", rank: $0, time: 1_757_958_100) }
        return startup + (stepLines + end).joined(separator: "\n") + "\n"
    }

    func testRunLoaderPicksATorchtitanConsoleLog() throws {
        let folder = try makeTemporaryFolder(for: self, "titan-log")
        let file = folder.appendingPathComponent("train.log")
        try Self.consoleLog().write(to: file, atomically: true, encoding: .utf8)
        let run = try RunLoader.load(file.path)
        XCTAssertEqual(run.source, .torchtitanLog)
        XCTAssertEqual(run.hello?.mesh, MeshLayout(replicate: 8, shard: 1, strategy: "replicate"))
        XCTAssertEqual(run.steps.map(\.step), [1, 2, 3, 4])
        XCTAssertEqual(run.steps.map { $0.ranks.count }, [8, 8, 8, 8])
        XCTAssertEqual(run.records.last?.event.kind, .done)
        XCTAssertEqual(run.skipped, [])
    }

    func testATextFileWithNoTorchtitanLineIsStillRefused() throws {
        let folder = try makeTemporaryFolder(for: self, "titan-not")
        let file = folder.appendingPathComponent("notes.txt")
        try "step: 1 of the plan\n[rank0]:hello\nTraining completed\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunLoader.load(file.path)) {
            XCTAssertEqual("\($0)", "\(file.path): not a run meshtop reads (no line is a telemetry event)")
        }
        let empty = folder.appendingPathComponent("empty-dir")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try RunLoader.load(empty.path)) {
            XCTAssertEqual("\($0)", "\(empty.path): a folder, and not one meshtop reads runs from")
        }
    }

    /// torchrun --log-dir DIR --tee 3: DIR/<run id>_<random>/attempt_0/<local rank>/stdout.log,
    /// lines without prefixes; a traceback in a stderr.log.
    func testRunLoaderPicksATorchrunLogFolder() throws {
        let root = try makeTemporaryFolder(for: self, "titan-dir")
        let figures = TorchtitanStepTests.figures(steps: 3, ranks: 4, seed: 8)
        for rank in 0 ..< 4 {
            let folder = root.appendingPathComponent("none_x8k2j1/attempt_0/\(rank)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var lines = Lines.startupMessages(format: .v03, replicate: 2, shard: 2, steps: 3)
                .map { Lines.line($0, rank: nil, time: 1_757_958_000 + Double(rank) / 10) }
            lines += figures.enumerated().map { index, ranks in
                Lines.line(Lines.stepMessage(ranks[rank], format: .v03), rank: nil, time: 1_757_958_010 + Double(index) + Double(rank) / 10)
            }
            try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("stdout.log"), atomically: true, encoding: .utf8)
            try (rank == 2 ? "Traceback (most recent call last):\n" : "").write(to: folder.appendingPathComponent("stderr.log"),
                                                                                 atomically: true, encoding: .utf8)
        }
        for path in [root.path, root.appendingPathComponent("none_x8k2j1").path, root.appendingPathComponent("none_x8k2j1/attempt_0").path] {
            let run = try RunLoader.load(path)
            XCTAssertEqual(run.source, .torchtitanLog, path)
            XCTAssertEqual(run.hello?.mesh, MeshLayout(replicate: 2, shard: 2, strategy: "hsdp"))
            XCTAssertEqual(run.steps.map { $0.ranks.map(\.rank) }, Array(repeating: [0, 1, 2, 3], count: 3), "each file is its rank")
            XCTAssertEqual(run.steps.map { $0.ranks.map(\.tokensPerSecond) }, figures.map { $0.map { Double($0.tps) } })
            let traceback = run.records.compactMap { if case .log(let l) = $0.event, l.message.hasPrefix("Traceback") { l } else { nil } }
            XCTAssertEqual(traceback.map(\.rank), [2])
            XCTAssertNil(run.records.first { $0.event.kind == .done }, "no rank said Training completed")
        }
    }

    /// The follower on a file written in pieces (cut anywhere, even mid-line) gives the events of
    /// the whole file.
    func testFollowingAGrowingFileGivesWhatTheWholeFileGives() throws {
        let folder = try makeTemporaryFolder(for: self, "titan-follow")
        let file = folder.appendingPathComponent("train.log")
        let text = Array(try Self.consoleLog(steps: 3).utf8)
        let whole = try XCTUnwrap(try RunLoader.load({ try Data(text).write(to: file); return file.path }()))
        try Data().write(to: file)
        let follower = try TorchtitanFollower(path: file.path)
        let handle = try FileHandle(forWritingTo: file)
        var random = SeededGenerator(seed: 21)
        var records: [TelemetryRecord] = []
        var offset = 0
        while offset < text.count {
            let count = min(text.count - offset, Int(random.next() % 700) + 1)
            try handle.write(contentsOf: text[offset ..< offset + count])
            offset += count
            records += follower.poll().records
        }
        try handle.close()
        records += follower.finish()
        XCTAssertEqual(records, whole.records)
    }

    func testATruncatedOrReplacedFileStartsOverAndLaterRankFilesAreRead() throws {
        let folder = try makeTemporaryFolder(for: self, "titan-restart")
        let file = folder.appendingPathComponent("train.log")
        let startup = Lines.startupMessages(format: .september2025, replicate: 2, shard: 1, steps: 5).map { Lines.line($0, rank: 0, time: 100) }
        try (startup.joined(separator: "\n") + "\n").write(to: file, atomically: false, encoding: .utf8)
        let follower = try TorchtitanFollower(path: file.path)
        XCTAssertEqual(follower.poll().records.filter { $0.event.kind == .hello }.count, 1)
        let other = Lines.startupMessages(format: .v03, replicate: 1, shard: 2, steps: 5).map { Lines.line($0, rank: 0, time: 200) }
        try (other.prefix(2).joined(separator: "\n") + "\n").write(to: file, atomically: false, encoding: .utf8)  // truncates in place
        var (records, notes) = follower.poll()
        XCTAssertEqual(notes, ["\(file.path): truncated; reading it from the start"])
        try (other.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)  // a new file renamed over it
        (records, notes) = follower.poll()
        XCTAssertEqual(notes, ["\(file.path): replaced; reading it from the start"])
        let hello = records.compactMap { if case .hello(let h) = $0.event { h } else { nil } }
        XCTAssertEqual(hello.map(\.mesh), [MeshLayout(replicate: 1, shard: 2, strategy: "fsdp")], "the new run's mesh")

        // torchrun's folder: rank 1's file appears after the first look.
        let attempt = folder.appendingPathComponent("logs/none_abc/attempt_0")
        for rank in 0 ..< 2 { try FileManager.default.createDirectory(at: attempt.appendingPathComponent("\(rank)"), withIntermediateDirectories: true) }
        try (startup.joined(separator: "\n") + "\n").write(to: attempt.appendingPathComponent("0/stdout.log"), atomically: true, encoding: .utf8)
        let watcher = try TorchtitanFollower(path: folder.appendingPathComponent("logs").path)
        _ = watcher.poll()
        let step = { (rank: Int) in
            Lines.line(Lines.stepMessage(.init(step: 1, loss: 9, gradNorm: 1, memoryGiB: 2, memoryPercent: 2, tps: 10, tflops: 1, mfu: 2),
                                         format: .september2025), rank: nil, time: 300 + Double(rank)) + "\n"
        }
        try step(1).write(to: attempt.appendingPathComponent("1/stdout.log"), atomically: true, encoding: .utf8)
        XCTAssertEqual(TorchtitanStepTests.steps(watcher.poll().records), [], "rank 0's line for step 1 is still to come")
        try (startup.joined(separator: "\n") + "\n" + step(0)).write(to: attempt.appendingPathComponent("0/stdout.log"),
                                                                       atomically: false, encoding: .utf8)
        XCTAssertEqual(TorchtitanStepTests.steps(watcher.poll().records).map { $0.ranks.map(\.rank) }, [[0, 1]])
    }
}
