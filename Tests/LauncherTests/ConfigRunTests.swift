import Foundation
import Telemetry
import TestSupport
import XCTest

/// `meshtop run --config` end to end: torchtitan's file as it is (dry run), and the shipped
/// example training the debugmodel under real mpirun.
final class ConfigRunTests: XCTestCase {
    func testTorchtitansFileDryRunsOnOneByFourWithOneWarning() throws {
        let fixture = ConfigFileTorchtitanTests.october
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--no-tui", "--np", "4",
                                            "--config", fixture, "--dry-run"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        let warning = result.stderrLines.first ?? ""
        XCTAssertTrue(warning.hasPrefix("meshtop: warning: \(fixture): ignored: [activation_checkpoint], [compile], "), warning)
        XCTAssertTrue(warning.contains("dataset \"c4_test\" is not one meshtop has"), warning)
        XCTAssertTrue(warning.contains("model.hf_assets_path \"./tests/assets/tokenizer\" is not there"), warning)
        XCTAssertEqual(result.stdoutLines.count, 1, result.stdout)
        let command = result.stdoutLines.first ?? ""
        XCTAssertTrue(command.hasPrefix("mpirun -np 4 "), command)
        let rankArguments = try XCTUnwrap(command.components(separatedBy: "/meshtop-rank ").last)
        XCTAssertEqual(rankArguments, "--mesh 1x4 --seq-len 2048 --dump-folder ./outputs")
    }

    func testTheShippedExampleTrainsTheDebugmodelPrintingTorchtitansLinesInOrder() throws {
        let folder = try makeTemporaryFolder(for: self, "example")
        let example = Products.packageRoot.appendingPathComponent("examples/debug_model.toml").path
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--no-tui", "--config", example,
                                            "--steps", "2", "--mesh", "1x2", "--dump-folder", try dumpFolder(in: folder)],
                                           environment: ["MESHTOP_CACHE_DIR": folder.path], timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdoutLines
        func index(_ what: String, _ matches: (String) -> Bool) throws -> Int {
            try XCTUnwrap(lines.firstIndex(where: matches), "no \(what) line in:\n\(result.stdout)")
        }
        let mesh = try index("mesh") { $0 == "Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [1, 2]" }
        let size = try index("model size") { $0 == "Model llama3 debugmodel size: 6,139,136 total parameters" }
        let peak = try index("peak FLOPS") { Self.matches($0, #"^Peak FLOPS used for computing MFU: \d\.\d{3}e\+\d{2}$"#) }
        let steps = lines.indices.filter { lines[$0].hasPrefix("step:") }
        XCTAssertEqual(steps.count, 2, result.stdout)
        XCTAssertTrue(mesh < size && size < peak && peak < (steps.first ?? -1), "out of order:\n\(result.stdout)")
        for (n, i) in steps.enumerated() {
            let line = lines[i]
            XCTAssertTrue(Self.matches(line, #"^step: {1,2}\#(n + 1)  loss: {1,3}\d+\.\d{5}  grad_norm: {1,3}\d+\.\d{4}  memory: {1,2}\d+\.\d{2}GiB\(\d+\.\d{2}%\)  tps: [\d,]+  tflops: [\d,]+\.\d{2}  mfu: \d+\.\d{2}%  peak: [\d.]+ GF/s (given|measured now|(measured|cached) \d+[smhd] ago|raised at step \d+)  = gemm [0-9.]+% of peak x [0-9.]+% in gemm x [0-9.]+% not waiting x [0-9.]+ model/gemm flops$"#),
                          "not torchtitan's step line: \(line)")
        }
        XCTAssertTrue(lines.contains("Trainer is initialized with local batch size 8, global batch size 16, gradient accumulation steps 1, sequence length 256, total steps 2 (warmup 2)"),
                      "the file's batch and schedule, the command line's steps:\n\(result.stdout)")
    }

    func testLogFreqPrintsStepOneAndEveryNthWhileTheTelemetryHasEveryStep() throws {
        let folder = try makeTemporaryFolder(for: self, "logfreq")
        let config = folder.appendingPathComponent("run.toml").path
        let metrics = folder.appendingPathComponent("metrics.jsonl").path
        try "[model]\nflavor = \"tiny\"\n[training]\nseq_len = 32\nsteps = 5\n[metrics]\nlog_freq = 2\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--no-tui", "--config", config, "--np", "1",
                                            "--peak-tflops", "0.1", "--dump-folder", try dumpFolder(in: folder), "--metrics-file", metrics])
        XCTAssertEqual(result.status, 0, result.stderr)
        let printed = result.stdoutLines.filter { $0.hasPrefix("step:") }.map { $0.split(separator: " ")[1] }
        XCTAssertEqual(printed, ["1", "2", "4"], result.stdout)
        let steps = try TelemetryFileReader.readAll(path: metrics).records.filter { if case .step = $0.event { return true }; return false }
        XCTAssertEqual(steps.count, 5)
    }

    /// torchtitan's own test tokenizer folder (2002 tokens, hence vocab_size) is what the ranks
    /// load; a folder that is not there trains with the shipped tokenizer, saying so.
    func testHFAssetsPathSelectsTheFoldersTokenizer() throws {
        let folder = try makeTemporaryFolder(for: self, "hfassets")
        let assets = ConfigFileTorchtitanTests.fixture("torchtitan_tokenizer")
        let config = folder.appendingPathComponent("run.toml").path
        let metrics = folder.appendingPathComponent("metrics.jsonl").path
        func run(assets: String) throws -> (result: ProcessResult, tokenizer: String?) {
            try? FileManager.default.removeItem(atPath: metrics)
            try "[model]\nflavor = \"tiny\"\nvocab_size = 2002\nhf_assets_path = \"\(assets)\"\n[training]\nseq_len = 32\nsteps = 1\n"
                .write(toFile: config, atomically: true, encoding: .utf8)
            let result = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--no-tui", "--config", config, "--np", "1",
                                                "--peak-tflops", "0.1", "--dump-folder", try dumpFolder(in: folder), "--metrics-file", metrics])
            let hello = try? TelemetryFileReader.readAll(path: metrics).records.lazy.compactMap { record -> Hello? in
                if case .hello(let h) = record.event { return h }; return nil
            }.first
            return (result, hello?.config.tokenizerPath)
        }
        let chosen = try run(assets: assets)
        XCTAssertEqual(chosen.result.status, 0, chosen.result.stderr)
        XCTAssertEqual(chosen.result.stderrLines.filter { $0.contains("warning") }, [])
        XCTAssertEqual(chosen.tokenizer, assets + "/tokenizer.json")

        let missing = folder.appendingPathComponent("no-such-assets").path
        let shipped = try run(assets: missing)
        XCTAssertEqual(shipped.result.status, 0, shipped.result.stderr)
        XCTAssertTrue(shipped.result.stderrLines.contains("meshtop: warning: \(config): model.hf_assets_path \"\(missing)\" is not there: using the shipped tokenizer"),
                      shipped.result.stderr)
        XCTAssertEqual(shipped.tokenizer.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path },
                       URL(fileURLWithPath: Products.dataFile("tokenizer.json")).resolvingSymlinksInPath().path)
    }

    static func matches(_ line: String, _ pattern: String) -> Bool {
        line.range(of: pattern, options: .regularExpression) != nil
    }
}
