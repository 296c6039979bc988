import Foundation
import RunSources
import RunSpec
import TensorBoard
import Telemetry
import TestSupport
import XCTest

/// `--tensorboard`'s files read back by meshtop: the layout (top level, rank_N), every step's
/// figures as float32, the hello; and the folder's check before launch.
final class TensorBoardRecorderTests: XCTestCase {
    static func hello(replicate: Int, shard: Int) -> Hello {
        Hello(config: RunConfig(steps: 3, seqLen: 64, localBatchSize: 4, globalBatchSize: 8, gradAccum: 1, warmupSteps: 1,
                                lr: 8e-4, maxNorm: 1, seed: 0, threads: 1, dataPath: "d", tokenizerPath: "t"),
              mesh: MeshLayout(replicate: replicate, shard: shard, strategy: replicate == 1 ? "fsdp" : "replicate"),
              model: ModelSummary(flavor: "tiny", dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 4, vocabSize: 2000, parameters: 400_000),
              flopsPerToken: 2.4e6, peak: PeakInfo(flops: 9e10, source: "given", detail: "--peak-tflops"),
              ranks: (0..<2).map { RankIdentity(rank: $0, host: "vm", pid: 100 + Int32($0), hostMemoryBytes: 8 << 30) })
    }

    static func step(_ n: Int) -> Telemetry.Step {
        Telemetry.Step(step: n, loss: 8.1 - 0.3 * Double(n), gradNorm: 0.7 + 0.01 * Double(n), lr: 1e-4 * Double(n), ranks: (0..<2).map { r in
            RankStep(rank: r, tokens: 256, seconds: StepSeconds(total: 0.21 + 0.01 * Double(r), data: 0.003, compute: 0.15),
                     tokensPerSecond: 256 / (0.21 + 0.01 * Double(r)), tflops: 0.0031, mfu: 3.4 + Double(r),
                     communication: [:], memory: ["parameters": 1_600_000, "activations": 9_000_000 + r], residentBytes: 60_000_000,
                     peakResidentBytes: 70_000_000 + 4096 * r)
        })
    }

    func testARecordedRunReadsBackStepByStep() throws {
        let folder = try makeTemporaryFolder(for: self, "tb-record").appendingPathComponent("tb")
        var reports: [String] = []
        let recorder = TensorBoardRecorder(folder: folder.path) { reports.append($0) }
        let hello = Self.hello(replicate: 2, shard: 1)
        let steps = (1...3).map(Self.step)
        recorder.record(TelemetryRecord(time: 1_754_000_000, event: .hello(hello)))
        for s in steps { recorder.record(TelemetryRecord(time: 1_754_000_000 + Double(s.step), event: .step(s))) }
        recorder.record(TelemetryRecord(time: 1_754_000_009, event: .log(LogLine(message: "not a scalar"))))
        recorder.close()
        XCTAssertEqual(reports, [])

        let entries = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(entries.count, 3, "\(entries)")
        XCTAssertTrue(entries[0].hasPrefix("events.out.tfevents.1754000000."), entries[0])
        XCTAssertEqual(Array(entries[1...]), ["rank_0", "rank_1"])

        let run = try RunLoader.load(folder.path)
        XCTAssertEqual(run.source, .tensorboard)
        XCTAssertEqual(run.skipped, [])
        XCTAssertEqual(run.hello, hello)
        XCTAssertEqual(run.records.first?.event.kind, .hello)
        XCTAssertEqual(run.steps.map(\.step), [1, 2, 3])
        for (read, written) in zip(run.steps, steps) {
            XCTAssertEqual(read.loss, f32(written.loss))
            XCTAssertEqual(read.gradNorm, f32(written.gradNorm))
            XCTAssertEqual(read.lr, f32(written.lr))
            XCTAssertEqual(read.ranks.map(\.rank), [0, 1])
            for (r, w) in zip(read.ranks, written.ranks) {
                XCTAssertEqual(r.tokensPerSecond, f32(w.tokensPerSecond))
                XCTAssertEqual(r.tflops, f32(w.tflops))
                XCTAssertEqual(r.mfu, f32(w.mfu))
                XCTAssertEqual(r.seconds, StepSeconds(total: f32(w.seconds.total), data: f32(w.seconds.data)))
                XCTAssertEqual(r.tokens, w.tokens, "tps x end_to_end(s)")
                XCTAssertEqual(r.peakResidentBytes, Int((f32(Double(w.peakResidentBytes) / Double(1 << 30)) * Double(1 << 30)).rounded()))
                XCTAssertEqual(abs(r.peakResidentBytes - w.peakResidentBytes), 0, accuracy: 8)
                XCTAssertEqual([r.residentBytes, r.memory.count, r.communication.count], [0, 0, 0], "not in the files: neutral")
            }
        }
        XCTAssertEqual(run.records.compactMap { if case .step = $0.event { return $0.time } else { return nil } },
                       [1_754_000_001, 1_754_000_002, 1_754_000_003])
    }

    /// A run that moved to another mesh: each hello is read back before the steps it led.
    func testEachMeshsHelloPrecedesItsSteps() throws {
        let folder = try makeTemporaryFolder(for: self, "tb-switch")
        let recorder = TensorBoardRecorder(folder: folder.path) { XCTFail($0) }
        let first = Self.hello(replicate: 2, shard: 1), second = Self.hello(replicate: 1, shard: 2)
        recorder.record(TelemetryRecord(time: 10, event: .hello(first)))
        recorder.record(TelemetryRecord(time: 11, event: .step(Self.step(1))))
        recorder.record(TelemetryRecord(time: 12, event: .step(Self.step(2))))
        recorder.record(TelemetryRecord(time: 13, event: .hello(second)))
        recorder.record(TelemetryRecord(time: 14, event: .step(Self.step(3))))
        recorder.close()
        let run = try TensorBoardRun.load(folder.path)
        let kinds = run.records.map { record -> String in
            switch record.event {
            case .hello(let h): return "hello \(h.mesh.replicate)x\(h.mesh.shard)"
            case .step(let s): return "step \(s.step)"
            default: return "other"
            }
        }
        XCTAssertEqual(kinds, ["hello 2x1", "step 1", "step 2", "hello 1x2", "step 3"])
    }

    func testTheFolderIsCheckedWithoutWritingAnything() throws {
        let root = try makeTemporaryFolder(for: self, "tb-check")
        let file = root.appendingPathComponent("file.txt")
        try Data("x".utf8).write(to: file)
        XCTAssertNoThrow(try TensorBoardRecorder.check(root.path, "--tensorboard d"))
        XCTAssertNoThrow(try TensorBoardRecorder.check(root.appendingPathComponent("a/b/c").path, "--tensorboard d"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("a").path))
        XCTAssertThrowsError(try TensorBoardRecorder.check(file.path, "--tensorboard f")) {
            XCTAssertEqual("\($0)", "--tensorboard f: is a file, expected a folder")
        }
        XCTAssertThrowsError(try TensorBoardRecorder.check(file.appendingPathComponent("tb").path, "--tensorboard g")) {
            XCTAssertEqual("\($0)", "--tensorboard g: \(file.path) is a file, expected a folder")
        }
    }

    /// A folder that vanishes under a live run: said once, the run not stopped by it.
    func testAFailedWriteIsReportedOnce() throws {
        let root = try makeTemporaryFolder(for: self, "tb-fail")
        let blocker = root.appendingPathComponent("tb")
        try Data("a file where the folder should be".utf8).write(to: blocker)
        var reports: [String] = []
        let recorder = TensorBoardRecorder(folder: blocker.path) { reports.append($0) }
        for n in 1...3 { recorder.record(TelemetryRecord(time: Double(n), event: .step(Self.step(n)))) }
        recorder.close()
        XCTAssertEqual(reports, ["\(blocker.path): is a file, expected a folder"])
    }

    private func f32(_ value: Double) -> Double { Double(Float(value)) }
}
