import Foundation
import TensorBoard
import TestSupport
import XCTest

/// The writer: torch's file name, the file_version record first, whole records; and what
/// TensorBoard's own loader makes of its file.
final class EventFileWriterTests: XCTestCase {
    func testAFileIsNamedAsTorchsAndStartsWithItsVersion() throws {
        let folder = try makeTemporaryFolder(for: self, "writer").appendingPathComponent("a/b")
        let writer = try EventFileWriter(folder: folder.path, now: 1_754_000_123.9)
        let second = try EventFileWriter(folder: folder.path, now: 1_754_000_123.9)
        let name = URL(fileURLWithPath: writer.path).lastPathComponent
        let parts = name.split(separator: ".")
        XCTAssertEqual(Array(parts.prefix(4)), ["events", "out", "tfevents", "1754000123"])
        XCTAssertEqual(parts.count, 7, name)
        XCTAssertEqual(String(parts[5]), String(getpid()))
        XCTAssertNotEqual(writer.path, second.path)  // the per-process count keeps two files of one second apart
        let event = Event(wallTime: 1_754_000_124, step: 1, summary: Summary(values: [SummaryValue(tag: "grad_norm", payload: .simple(0.75))]))
        try writer.write(event)
        let contents = try EventFileReader.read(path: writer.path)
        XCTAssertEqual(contents.damage, [])
        XCTAssertEqual(contents.events, [Event(wallTime: 1_754_000_123.9, fileVersion: "brain.Event:2", sourceWriter: "meshtop"), event])
        try writer.close()
        try second.close()
    }

    /// A file followed while written: each write is a whole record; a torn tail (here made by
    /// hand, as a crashed writer would leave it) is the one damage, at its offset.
    func testAFollowerSeesWholeRecordsAndATornTailOnly() throws {
        let folder = try makeTemporaryFolder(for: self, "follow")
        let writer = try EventFileWriter(folder: folder.path)
        var sizes: [Int] = []
        for step in 1...5 {
            try writer.write(Event(wallTime: Double(step), step: Int64(step), summary: Summary(values: [
                SummaryValue(tag: "lr", payload: .simple(Float(step)))])))
            let contents = try EventFileReader.read(path: writer.path)
            XCTAssertEqual(contents.damage, [])
            XCTAssertEqual(contents.events.count, step + 1)
            sizes.append(try Data(contentsOf: URL(fileURLWithPath: writer.path)).count)
        }
        try writer.close()
        let torn = TFRecord.frame(Event(wallTime: 6, step: 6).encoded()).prefix(9)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: writer.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(torn))
        try handle.close()
        let contents = try EventFileReader.read(path: writer.path)
        XCTAssertEqual(contents.events.count, 6)
        XCTAssertEqual(contents.damage, ["\(writer.path): byte \(sizes.last!): a truncated record: 9 byte(s) left where its frame needs 16"])
    }

    /// tensorboard's EventFileLoader reads every event and value as written, the simple values as scalars.
    func testTensorBoardsLoaderReadsTheFile() throws {
        let python = try PythonReference.interpreter(importing: ["tensorboard"])
        let folder = try makeTemporaryFolder(for: self, "tb-read")
        let writer = try EventFileWriter(folder: folder.path, now: 1_754_000_000)
        try writer.write(Event(wallTime: 1_754_000_001.5, step: 7, summary: Summary(values: [
            SummaryValue(tag: "loss_metrics/global_avg_loss", payload: .simple(8.0576)),
            SummaryValue(tag: "zero", payload: .simple(0)),
            SummaryValue(tag: "tensor", payload: .tensor(TensorProto(dtype: 2, doubleValues: [0.125])),
                         metadata: SummaryMetadata(pluginName: "scalars", dataClass: 1)),
            SummaryValue(tag: "meshtop/hello", payload: .tensor(TensorProto(dtype: 7, stringValues: [Array("{}".utf8)])),
                         metadata: SummaryMetadata(pluginName: "text", dataClass: 2)),
        ])))
        try writer.write(Event(wallTime: 1_754_000_002, step: -2))
        try writer.close()
        let script = """
        import sys
        from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
        from tensorboard.util import tensor_util
        for e in EventFileLoader(sys.argv[1]).Load():
            out = [repr(e.wall_time), str(e.step), e.file_version, e.source_metadata.writer]
            for v in e.summary.value:
                kind = v.WhichOneof("value")
                shown = repr(v.simple_value) if kind == "simple_value" else repr(tensor_util.make_ndarray(v.tensor).item())
                out.append("%s=%s:%s:%s" % (v.tag, kind, shown, v.metadata.plugin_data.plugin_name))
            print(" ".join(out))
        """
        let lines = try PythonReference.run(python, script, [writer.path]).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, [
            "1754000000.0 0 brain.Event:2 meshtop",
            // The loader migrates simple values to scalar tensors (data_compat), as TensorBoard's server does.
            "1754000001.5 7   loss_metrics/global_avg_loss=tensor:\(Double(Float(8.0576))):scalars"
                + " zero=tensor:0.0:scalars tensor=tensor:0.125:scalars meshtop/hello=tensor:b'{}':text",
            "1754000002.0 -2  ",
        ])
    }
}
