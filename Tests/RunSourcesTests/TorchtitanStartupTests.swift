import Foundation
import RunSources
import Telemetry
import TestSupport
import XCTest

/// The start-up lines of torchtitan's logs: the real ones of a replicate run (the log quoted in
/// replicate's integration, Fixtures/torchtitan-replicate-startup.log) and each format's variants.
final class TorchtitanStartupTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torchtitan-replicate-startup.log").path

    func testTheReplicateRunsStartupLinesGiveItsHello() throws {
        var fold = TorchtitanFold()
        let lines = try String(contentsOfFile: Self.fixture, encoding: .utf8).split(separator: "\n").map(String.init)
        let records = lines.flatMap { fold.feed($0) } + fold.finish()
        let hello = try XCTUnwrap(records.compactMap { if case .hello(let h) = $0.event { h } else { nil } }.first)
        XCTAssertEqual(hello.model.flavor, "debugmodel")
        XCTAssertEqual(hello.model.parameters, 6_139_136)
        XCTAssertEqual([hello.model.dim, hello.model.nLayers, hello.model.nHeads, hello.model.nKVHeads, hello.model.vocabSize],
                       [256, 6, 16, 16, 2000], "from the TransformerModelArgs line (n_kv_heads=None: as many as n_heads)")
        XCTAssertEqual(hello.mesh, MeshLayout(replicate: 8, shard: 1, strategy: "replicate"))
        XCTAssertEqual(hello.ranks.map(\.rank), Array(0 ..< 8))
        let c = hello.config
        XCTAssertEqual([c.localBatchSize, c.globalBatchSize, c.gradAccum, c.seqLen, c.steps, c.warmupSteps], [8, 64, 1, 2048, 10, 2])
        XCTAssertEqual(hello.peak.flops, 9.890e14)
        XCTAssertEqual(hello.peak.source, "given")
        XCTAssertEqual(c.dataPath, "tests/assets/c4_test")
        // Rank 0 said its device's capacity; the others said nothing (LOG_RANK=0).
        XCTAssertEqual(hello.ranks[0].hostMemoryBytes, Int((94.99 * 1_073_741_824).rounded()))
        XCTAssertEqual(hello.ranks[1...].map(\.hostMemoryBytes), Array(repeating: 0, count: 7))
        // What the log cannot say stays neutral.
        XCTAssertEqual(Set(hello.ranks.map(\.host)), [""])
        XCTAssertEqual(Set(hello.ranks.map(\.pid)), [0])
        XCTAssertEqual([c.lr, c.maxNorm, hello.flopsPerToken], [0, 0, 0])

        // The hello comes at the trainer's line, the last; every line is a log line or a warning.
        let kinds = records.map(\.event.kind)
        XCTAssertEqual(kinds.filter { $0 == .warning }.count, 2, "the two WARNING lines")
        XCTAssertEqual(kinds.filter { $0 == .log }.count, lines.count - 2)
        XCTAssertEqual(kinds.last, .hello)
        XCTAssertEqual(fold.recognized, lines.count - 1, "all but NCCL's own line are torchtitan's")
        let nccl = try XCTUnwrap(records.firstIndex { if case .log(let l) = $0.event { l.message.hasPrefix("NCCL version") } else { false } })
        XCTAssertEqual(records[nccl].time, records[nccl - 1].time, "an untimed line takes the time of the line before it")
        XCTAssertFalse(records.contains { $0.event.kind == .step || $0.event.kind == .done })
    }

    func testTheMeshLinesOfBothFormats() {
        let cases: [(String, [String: Int])] = [
            ("Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [2, 4]", ["dp_replicate": 2, "dp_shard": 4]),
            ("Building 1-D device mesh with ['dp_shard'], [8]", ["dp_shard": 8]),
            ("Building device mesh with parallelism: pp=1, dp_replicate=4, dp_shard=2, cp=1, tp=1, ep=1",
             ["pp": 1, "dp_replicate": 4, "dp_shard": 2, "cp": 1, "tp": 1, "ep": 1]),
        ]
        for (message, degrees) in cases {
            XCTAssertEqual(TorchtitanStartupLine(message: message), .mesh(degrees: degrees), message)
        }
        XCTAssertNil(TorchtitanStartupLine(message: "Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [2]"))
        // Absent dimensions are 1: [8] on dp_shard alone is FSDP on (1, 8).
        var fold = TorchtitanFold()
        for message in ["Building 1-D device mesh with ['dp_shard'], [8]",
                        "Trainer is initialized with local batch size 2, global batch size 16, gradient accumulation steps 1, "
                            + "sequence length 256, total steps 5 (warmup 1)"] {
            _ = fold.feed(TorchtitanLogLines.line(message, rank: 0, time: 1000))
        }
        XCTAssertEqual(fold.hello?.mesh, MeshLayout(replicate: 1, shard: 8, strategy: "fsdp"))
    }

    func testTheModelLinesOfEachVersion() {
        XCTAssertEqual(TorchtitanStartupLine(message: "Model llama3 debugmodel size: 6,139,136 total parameters"),
                       .modelSize(name: "llama3", flavor: "debugmodel", parameters: 6_139_136))
        XCTAssertEqual(TorchtitanStartupLine(message: "Building llama3 debugmodel"),
                       .building(name: "llama3", flavor: "debugmodel", fields: [:], jsonFollows: false))
        // v0.2.1's f-string lacks the space before "with"; f113706's has it.
        for message in ["Building llama3 debugmodelwith {", "Building llama3 debugmodel with {"] {
            XCTAssertEqual(TorchtitanStartupLine(message: message),
                           .building(name: "llama3", flavor: "debugmodel", fields: [:], jsonFollows: true), message)
        }
        // The JSON on the lines that follow (one prefix a line, as torchrun's tailer writes them).
        var fold = TorchtitanFold()
        let json = ["{", "  \"dim\": 256,", "  \"n_layers\": 6,", "  \"vocab_size\": 2048,", "  \"layer\": {",
                    "    \"attention\": {", "      \"n_heads\": 16,", "      \"n_kv_heads\": null", "    }", "  },",
                    "  \"rope\": {", "    \"dim\": 16", "  }", "}"]
        _ = fold.feed(TorchtitanLogLines.line("Building llama3 debugmodel with {", rank: 1, time: 5))
        for line in json.dropFirst() { XCTAssertEqual(fold.feed("[rank1]:" + line), [], "the JSON is read, not logged") }
        for message in TorchtitanLogLines.startupMessages(format: .v03, replicate: 1, shard: 2, steps: 3) {
            _ = fold.feed(TorchtitanLogLines.line(message, rank: 1, time: 6))
        }
        let model = fold.hello?.model
        XCTAssertEqual([model?.dim, model?.nLayers, model?.nHeads, model?.nKVHeads, model?.vocabSize], [256, 6, 16, 16, 2048],
                       "the top level's dim, not the rope's")
    }

    func testOtherStartupLines() {
        XCTAssertEqual(TorchtitanStartupLine(message: "Peak FLOPS used for computing MFU: 3.120e+14"), .peak(3.12e14))
        XCTAssertEqual(TorchtitanStartupLine(message: "CUDA capacity: NVIDIA A100-SXM4-80GB with 79.15GiB memory"),
                       .capacity(device: "CUDA NVIDIA A100-SXM4-80GB", gib: 79.15))
        XCTAssertEqual(TorchtitanStartupLine(message: "Training completed"), .trainingCompleted)
        XCTAssertEqual(TorchtitanStartupLine(message: "Training starts at step 11"), .trainingStarts(step: 11))
        for other in ["Training completed early", "CUDA memory usage for model: 0.04GiB(0.04%)", "Peak FLOPS used for computing MFU: soon",
                      "Trainer is initialized with local batch size 8, global batch size 64", ""] {
            XCTAssertNil(TorchtitanStartupLine(message: other), other)
        }
    }
}
