import Foundation
import RunSources
import Telemetry
import TestSupport
import XCTest

/// A real `meshtop run --tensorboard` (the tiny flavor, 2 ranks under mpirun) read by
/// TensorBoard's own EventAccumulator: every run folder, tag, step and value equal, as float32,
/// to what the same run's --metrics-file recorded; and by meshtop's reader, the same steps.
final class TensorBoardEndToEndTests: XCTestCase {
    func testTensorBoardReadsWhatARealRunWrote() throws {
        let python = try PythonReference.interpreter(importing: ["tensorboard"])
        let meshtop = try Products.executable("meshtop")
        let folder = try makeTemporaryFolder(for: self, "tb-run")
        let board = folder.appendingPathComponent("tb").path, metrics = folder.appendingPathComponent("run.jsonl").path
        let result = try ProcessRunner.run([meshtop, "run", "--no-tui", "--flavor", "tiny", "--np", "2", "--mesh", "1x2", "--steps", "4",
                                            "--metrics-file", metrics, "--tensorboard", board, "--dump-folder", try dumpFolder(in: folder)],
                                           environment: ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"], timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        let records = try TelemetryFileReader.readAll(path: metrics).records
        let hello = try XCTUnwrap(records.lazy.compactMap { if case .hello(let h) = $0.event { return h } else { return nil } }.first)
        let steps = records.compactMap { if case .step(let s) = $0.event { return s } else { return nil } }
        XCTAssertEqual(steps.map(\.step), [1, 2, 3, 4])

        // Values as float32 bit patterns: compared bit for bit, no decimal text in between.
        let script = """
        import sys, json, os, struct
        from tensorboard.backend.event_processing import event_accumulator as ea
        out = {}
        for run in sys.argv[2:]:
            acc = ea.EventAccumulator(os.path.join(sys.argv[1], run), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
            acc.Reload()
            tags = acc.Tags()
            out[run] = {"scalars": {t: [[e.step, struct.unpack("<I", struct.pack("<f", e.value))[0]] for e in acc.Scalars(t)]
                                    for t in tags["scalars"]},
                        "texts": {t: [[str(e.step), e.tensor_proto.string_val[0].decode()] for e in acc.Tensors(t)]
                                  for t in tags["tensors"]}}
        print(json.dumps(out))
        """
        struct Seen: Decodable { var scalars: [String: [[UInt32]]]; var texts: [String: [[String]]] }
        let seen = try JSONDecoder().decode([String: Seen].self,
                                            from: Data(try PythonReference.run(python, script, [board, ".", "rank_0", "rank_1"]).utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: board).filter { !$0.hasPrefix("events.") }.sorted(), ["rank_0", "rank_1"])

        let memory = Dictionary(uniqueKeysWithValues: hello.ranks.map { ($0.rank, Double($0.hostMemoryBytes)) })
        var expected: [String: [String: [[UInt32]]]] = [:]
        var tokens = 0
        for step in steps {
            tokens += step.ranks.reduce(0) { $0 + $1.tokens }
            let s = UInt32(step.step)
            for (tag, value) in [("loss_metrics/global_avg_loss", step.loss), ("grad_norm", step.gradNorm), ("lr", step.lr),
                                 ("n_tokens_seen", Double(tokens))] {
                expected[".", default: [:]][tag, default: []].append([s, bits(value)])
            }
            let losses = step.ranks.compactMap(\.loss)
            XCTAssertEqual(losses.count, step.ranks.count, "every rank sends its own loss")
            expected[".", default: [:]]["loss_metrics/global_max_loss", default: []].append([s, bits(try XCTUnwrap(losses.max()))])
            XCTAssertEqual(losses.reduce(0, +) / Double(losses.count), step.loss, accuracy: 1e-6 * step.loss, "the step's loss is their mean")
            for rank in step.ranks {
                let active = Double(rank.memory.values.reduce(0, +)), reserved = Double(rank.peakResidentBytes), gib = Double(1 << 30)
                let figures = [("throughput(tps)", rank.tokensPerSecond), ("tflops", rank.tflops), ("mfu(%)", rank.mfu),
                               ("time_metrics/end_to_end(s)", rank.seconds.total), ("time_metrics/data_loading(s)", rank.seconds.data),
                               ("time_metrics/data_loading(%)", 100 * rank.seconds.data / rank.seconds.total),
                               ("memory/max_active(GiB)", active / gib), ("memory/max_active(%)", 100 * active / memory[rank.rank]!),
                               ("memory/max_reserved(GiB)", reserved / gib), ("memory/max_reserved(%)", 100 * reserved / memory[rank.rank]!)]
                for (tag, value) in figures {
                    expected["rank_\(rank.rank)", default: [:]][tag, default: []].append([s, bits(value)])
                    if rank.rank == 0 { expected[".", default: [:]][tag, default: []].append([s, bits(value)]) }
                }
            }
        }
        for run in [".", "rank_0", "rank_1"] {
            let scalars = seen[run]?.scalars ?? [:]
            XCTAssertEqual(Set(scalars.keys), Set(expected[run]!.keys), run)
            for (tag, points) in expected[run]! { XCTAssertEqual(scalars[tag], points, "\(run) \(tag)") }
        }
        let texts = try XCTUnwrap(seen["."]?.texts["meshtop/hello"])
        XCTAssertEqual(texts.map(\.first), ["1"])
        guard case .success(let parsed) = LineCoding.decode(Array((texts.first?.last ?? "").utf8)),
              case .hello(let written) = parsed.record.event else { return XCTFail("meshtop/hello is not a hello: \(texts)") }
        XCTAssertEqual(written, hello)

        // meshtop's own reader: the same steps, the mesh from the hello.
        let run = try RunLoader.load(board)
        XCTAssertEqual(run.skipped, [])
        XCTAssertEqual(run.hello, hello)
        XCTAssertEqual(run.steps.map(\.loss), steps.map { f32($0.loss) })
        XCTAssertEqual(run.steps.map(\.gradNorm), steps.map { f32($0.gradNorm) })
        XCTAssertEqual(run.steps.map { $0.ranks.map(\.tokens) }, steps.map { $0.ranks.map(\.tokens) })
        XCTAssertEqual(run.steps.map { $0.ranks.map(\.mfu) }, steps.map { $0.ranks.map { f32($0.mfu) } })
    }

    private func f32(_ value: Double) -> Double { Double(Float(value)) }
    private func bits(_ value: Double) -> UInt32 { Float(value).bitPattern }
}
