import Foundation
import RunSources
import TensorBoard
import Telemetry
import TestSupport
import XCTest

/// Event files from independent writers read as runs: tensorboardX's SummaryWriter (torchtitan's
/// tags, which it writes cleaned, `throughput_tps_`; rank folders as save_for_all_ranks makes
/// them, with a top level and without), tensorboard's own torch-free writer (a scalar in every
/// tensor form, the newer `lr/AdamW`), and a file with one flipped byte.
final class TensorBoardReadingTests: XCTestCase {
    /// What the writers wrote, as float32 (which is what a summary keeps): run -> tag -> step -> value.
    typealias Written = [String: [String: [String: Double]]]

    static let tensorboardX = """
    import sys, json
    import numpy as np
    from tensorboardX import SummaryWriter
    d = sys.argv[1]
    writers = {".": SummaryWriter(d), "rank_0": SummaryWriter(d + "/rank_0"), "rank_1": SummaryWriter(d + "/rank_1")}
    written = {run: {} for run in writers}
    def add(run, tag, value, step):
        writers[run].add_scalar(tag, value, step)
        written[run].setdefault(tag, {})[str(step)] = float(np.float32(value))
    for step in range(1, 6):
        add(".", "loss_metrics/global_avg_loss", 8.0 - 0.37 * step, step)
        add(".", "grad_norm", 1.0 / step, step)
        add(".", "lr", 8e-4 * step / 5, step)
        for r in (0, 1):
            seconds = 2.048 / (1 + r / 10 + step / 100)
            add("rank_%d" % r, "throughput(tps)", 2048 / seconds, step)
            add("rank_%d" % r, "tflops", 0.5 + 0.01 * r, step)
            add("rank_%d" % r, "mfu(%)", 40.5 + r + step / 10, step)
            add("rank_%d" % r, "time_metrics/end_to_end(s)", seconds, step)
            add("rank_%d" % r, "time_metrics/data_loading(s)", 0.01 * step, step)
            add("rank_%d" % r, "memory/max_reserved(GiB)", 1.25 + r / 8, step)
    for w in writers.values(): w.close()
    print(json.dumps(written))
    """

    func testTensorBoardXsRunFolderReadsAsItsSteps() throws {
        let python = try PythonReference.interpreter(importing: ["tensorboardX"])
        let folder = try makeTemporaryFolder(for: self, "tbx").appendingPathComponent("tb")
        let written = try decode(PythonReference.run(python, Self.tensorboardX, [folder.path]))
        let run = try RunLoader.load(folder.path)
        XCTAssertEqual(run.source, .tensorboard)
        XCTAssertEqual(run.skipped, [])
        XCTAssertNil(run.hello, "nothing says the mesh")
        try check(run, against: written, runs: [0: "rank_0", 1: "rank_1"])
    }

    /// torchtitan's `save_for_all_ranks` alone: every rank's folder holds every tag, no top level.
    /// The run's figures come from the first rank folder, each rank's from its own.
    func testRankFoldersWithoutATopLevelRead() throws {
        let python = try PythonReference.interpreter(importing: ["tensorboardX"])
        let folder = try makeTemporaryFolder(for: self, "tbx-ranks").appendingPathComponent("tb")
        let script = """
        import sys, json
        import numpy as np
        from tensorboardX import SummaryWriter
        written = {}
        for r in (0, 1):
            w = SummaryWriter(sys.argv[1] + "/rank_%d" % r)
            run = written.setdefault("rank_%d" % r, {})
            for step in range(1, 4):
                # rank 1's loss differs (torchtitan's would not) to show whose is taken
                values = {"loss_metrics/global_avg_loss": 6.0 - step / 7 if r == 0 else 99.0, "grad_norm": 0.5 + r,
                          "lr": 1e-3, "throughput(tps)": 2048 / (0.5 + r), "time_metrics/end_to_end(s)": 0.5 + r, "mfu(%)": 10.0 + r}
                for tag, v in values.items():
                    w.add_scalar(tag, v, step)
                    run.setdefault(tag, {})[str(step)] = float(np.float32(v))
            w.close()
        written["."] = written["rank_0"]
        print(json.dumps(written))
        """
        let written = try decode(PythonReference.run(python, script, [folder.path]))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: folder.path).contains { TensorBoardRun.isEventFile($0) },
                       "no top-level file")
        let run = try RunLoader.load(folder.path)
        XCTAssertEqual(run.skipped, [])
        try check(run, against: written, runs: [0: "rank_0", 1: "rank_1"])
    }

    /// tensorboard's EventFileWriter with scalar_pb (a float_val tensor), and by hand the other
    /// forms: tensor_content, double_val, metadata on a tag's first value only. One file: its
    /// rank figures are rank 0's, as torchtitan's rank 0 alone writes them.
    func testTensorBoardsOwnWriterInEveryScalarFormReads() throws {
        let python = try PythonReference.interpreter(importing: ["tensorboard"])
        let folder = try makeTemporaryFolder(for: self, "tb-own")
        let script = """
        import sys, json, struct, time
        import numpy as np
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        from tensorboard.plugins.scalar import summary_v2, metadata
        from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
        w = EventFileWriter(sys.argv[1])
        written = {}
        def remember(tag, value, step, as_float32=True):
            written.setdefault(tag, {})[str(step)] = float(np.float32(value)) if as_float32 else float(value)
        for step in range(1, 5):
            summary = summary_pb2.Summary()
            summary.value.extend(summary_v2.scalar_pb("loss_metrics/global_avg_loss", 7.5 - step / 3).value)
            remember("loss_metrics/global_avg_loss", 7.5 - step / 3, step)
            content = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                                             tensor_content=struct.pack("<f", 0.9 / step))
            v = summary.value.add(tag="grad_norm", tensor=content)
            if step == 1: v.metadata.CopyFrom(metadata.create_summary_metadata(None, None))
            remember("grad_norm", 0.9 / step, step)
            double = tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                                            double_val=[1e-4 * step + 1e-12])
            v = summary.value.add(tag="lr/AdamW", tensor=double)
            if step == 1: v.metadata.CopyFrom(metadata.create_summary_metadata(None, None))
            remember("lr/AdamW", 1e-4 * step + 1e-12, step, as_float32=False)
            summary.value.add(tag="mfu(%)", simple_value=30 + step)
            remember("mfu(%)", 30 + step, step)
            w.add_event(event_pb2.Event(wall_time=1754000000 + step, step=step, summary=summary))
        w.close()
        print(json.dumps({".": written}))
        """
        let written = try decode(PythonReference.run(python, script, [folder.path]))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssertEqual(files.count, 1)
        let file = folder.appendingPathComponent(files[0]).path
        let run = try RunLoader.load(file)
        XCTAssertEqual(run.skipped, [])
        XCTAssertEqual(run.steps.map(\.step), [1, 2, 3, 4])
        XCTAssertEqual(run.steps.map(\.lr), (1...4).map { written["."]!["lr/AdamW"]![String($0)]! }, "double_val kept as a double")
        XCTAssertEqual(run.records.compactMap { if case .step = $0.event { return $0.time } else { return nil } },
                       (1...4).map { 1_754_000_000 + Double($0) })
        try check(run, against: written, runs: [0: "."])
    }

    /// One flipped byte in the data of the record holding step 3's loss: that record reported at
    /// its offset, step 3 gone (its other figures said to have no loss), every other step read.
    func testAFlippedByteSkipsItsRecordAndTheRestIsRead() throws {
        let python = try PythonReference.interpreter(importing: ["tensorboardX"])
        let folder = try makeTemporaryFolder(for: self, "tbx-flip").appendingPathComponent("tb")
        let written = try decode(PythonReference.run(python, Self.tensorboardX, [folder.path]))
        let name = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: folder.path).first { TensorBoardRun.isEventFile($0) })
        let file = folder.appendingPathComponent(name)
        var bytes = [UInt8](try Data(contentsOf: file))
        // tensorboardX writes one event per add_scalar: file_version, then loss, grad_norm, lr per step.
        let records = TFRecordScanner.scan(bytes[...]).items.compactMap { item -> (Int, Int)? in
            if case .record(let offset, let data) = item { return (offset, data.count) } else { return nil }
        }
        XCTAssertEqual(records.count, 1 + 5 * 3)
        let (offset, length) = records[1 + 2 * 3]
        XCTAssertEqual(try Event(decoding: Array(bytes[(offset + 12)..<(offset + 12 + length)])).step, 3)
        bytes[offset + 12 + length / 2] ^= 0x20
        try Data(bytes).write(to: file)

        let run = try RunLoader.load(folder.path)
        XCTAssertEqual(run.skipped, ["\(file.path): byte \(offset): the record's \(length) bytes of data fail their CRC: record skipped",
                                     "\(folder.path): 1 step(s) with figures but no loss_metrics/global_avg_loss: not read as steps"])
        XCTAssertEqual(run.steps.map(\.step), [1, 2, 4, 5])
        var remaining = written
        for tag in remaining["."]!.keys { remaining["."]![tag]!["3"] = nil }
        for r in ["rank_0", "rank_1"] { for tag in remaining[r]!.keys { remaining[r]![tag]!["3"] = nil } }
        try check(run, against: remaining, runs: [0: "rank_0", 1: "rank_1"])
    }

    /// Every value written equals the run's, as float32; tokens are tps x end_to_end(s) (2048 here).
    private func check(_ run: LoadedRun, against written: Written, runs: [Int: String]) throws {
        let top = try XCTUnwrap(written["."])
        let loss = try XCTUnwrap(top["loss_metrics/global_avg_loss"])
        XCTAssertEqual(run.steps.map(\.step), loss.keys.compactMap { Int($0) }.sorted())
        for step in run.steps {
            let key = String(step.step)
            XCTAssertEqual(step.loss, loss[key])
            XCTAssertEqual(step.gradNorm, top["grad_norm"]?[key])
            XCTAssertEqual(step.lr, (top["lr"] ?? top["lr/AdamW"])?[key])
            XCTAssertEqual(step.ranks.map(\.rank), runs.keys.sorted())
            for rank in step.ranks {
                let figures = try XCTUnwrap(written[runs[rank.rank]!])
                func value(_ tag: String) -> Double { figures[tag]?[key] ?? 0 }
                XCTAssertEqual(rank.tokensPerSecond, value("throughput(tps)"), "step \(key) rank \(rank.rank)")
                XCTAssertEqual(rank.tflops, value("tflops"))
                XCTAssertEqual(rank.mfu, value("mfu(%)"))
                XCTAssertEqual(rank.seconds.total, value("time_metrics/end_to_end(s)"))
                XCTAssertEqual(rank.seconds.data, value("time_metrics/data_loading(s)"))
                XCTAssertEqual(rank.peakResidentBytes, Int((value("memory/max_reserved(GiB)") * Double(1 << 30)).rounded()))
                XCTAssertEqual(rank.tokens, figures["throughput(tps)"] == nil ? 0 : 2048)
            }
        }
    }

    private func decode(_ json: String) throws -> Written {
        try JSONDecoder().decode(Written.self, from: Data(json.utf8))
    }
}
