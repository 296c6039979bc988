import FrontendCLI
import Launcher
import RunOptions
import RunSpec
import TestSupport
import XCTest

/// A run written as a --config file reads back to the same run: spec -> TOML -> spec.
final class ConfigRoundTripTests: XCTestCase {
    /// Every option with a TOML key set away from its default, on an HSDP mesh.
    func testEveryOptionWithATomlKeyReadsBackToTheSameSpecification() throws {
        let folder = try makeTemporaryFolder(for: self, "roundtrip")
        let corpus = folder.appendingPathComponent("corpus.txt").path
        try "To be, or not to be.\n".write(toFile: corpus, atomically: true, encoding: .utf8)
        let tokenizer = folder.appendingPathComponent("tok.json").path
        try FileManager.default.copyItem(atPath: Products.dataFile("tokenizer.json"), toPath: tokenizer)
        let dump = folder.appendingPathComponent("out").path
        let spec = try RunOptions.specification(parsing: [
            "--mesh", "2x3", "--flavor", "tiny", "--dim", "128", "--n-layers", "3", "--n-heads", "8", "--n-kv-heads", "4",
            "--vocab-size", "3000", "--seq-len", "128", "--local-batch-size", "4", "--grad-accum", "2", "--steps", "30",
            "--seed", "7", "--lr", "0.0003", "--warmup-steps", "5", "--decay-ratio", "0.5", "--min-lr-factor", "0.1",
            "--max-norm", "2.5", "--weight-decay", "0.05", "--data", corpus, "--tokenizer", tokenizer, "--dump-folder", dump,
            "--threads", "2", "--log-freq", "5", "--no-reshard-after-forward", "--checkpoint-dir", dump + "/ckpt",
            "--checkpoint-every", "10", "--keep-checkpoints", "3", "--resume-step", "20",
            "--debug-slow-rank", "5:1.5", "--debug-stall-rank", "2:7",
        ])
        let written = ConfigFile.toml(for: spec)
        XCTAssertEqual(written.unwritten, [], written.text)
        XCTAssertTrue(written.text.contains("debug_slow_rank = \"5:1.5\"\ndebug_stall_rank = \"2:7\"\n"), written.text)
        XCTAssertEqual(try read(written.text, in: folder), spec, written.text)
    }

    /// meshtop's own options go in a [meshtop] section; a resume that falls back past damaged
    /// checkpoints has no key (an enabled [checkpoint] resumes from the newest, as torchtitan's):
    /// it is named, and the rest still reads back.
    func testMeshtopsOwnOptionsHaveASectionAndWhatHasNoKeyIsNamed() throws {
        let folder = try makeTemporaryFolder(for: self, "roundtrip")
        let weights = folder.appendingPathComponent("w.safetensors").path
        try Data().write(to: URL(fileURLWithPath: weights))
        let own = try RunOptions.specification(parsing: ["--mesh", "1x2", "--bucket-mb", "2", "--peak-tflops", "0.5",
                                                         "--init-weights", weights, "--save-weights", "out.safetensors"])
        let written = ConfigFile.toml(for: own)
        XCTAssertEqual(written.unwritten, [])
        XCTAssertTrue(written.text.contains("[meshtop]\nbucket_mb = 2.0\npeak_tflops = 0.5\n"), written.text)
        XCTAssertEqual(try read(written.text, in: folder), own, written.text)

        var fallback = try RunOptions.specification(parsing: ["--mesh", "1x2", "--checkpoint-dir", "/tmp/ck",
                                                              "--resume-latest-valid"])
        let named = ConfigFile.toml(for: fallback)
        XCTAssertEqual(named.unwritten, ["--resume-latest-valid"])
        fallback.resume = .latest
        XCTAssertEqual(try read(named.text, in: folder), fallback, named.text)
    }

    /// Every TOML key that stands for an option names one `meshtop run` has (a typo fails here).
    func testEveryKeyOfTheSchemaNamesAnOptionOfTheRun() throws {
        let names = Set(try OptionTravelHelp.longNames(try Products.executable("meshtop"), ["run"]).map { "--" + $0 })
        let flags = ConfigFile.optionFlags
        XCTAssertGreaterThan(flags.count, 20)
        XCTAssertEqual(flags.subtracting(names), [])
    }

    /// The run `meshtop run --config FILE` makes of `text`.
    private func read(_ text: String, in folder: URL) throws -> RunSpecification {
        let path = folder.appendingPathComponent("run.toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var warnings: [String] = []
        let expanded = try ConfigFile.expand(["--config", path], subcommands: ["run"]) { warnings.append($0) }
        XCTAssertEqual(warnings, [])
        let run = try RunCommand.parse(Array(expanded.dropFirst()))
        return try RunOptions.specification(model: run.model, training: run.training, checkpoints: run.checkpoints,
                                            mesh: try MeshChoice.resolve(np: run.np, mesh: run.mesh, cores: 2))
    }
}

/// The long option names `--experimental-dump-help` lists for a (sub)command.
enum OptionTravelHelp {
    static func longNames(_ executable: String, _ path: [String]) throws -> [String] {
        let result = try ProcessRunner.run([executable, "--experimental-dump-help"], timeout: 60)
        var command = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])["command"]
            as? [String: Any]
        for name in path {
            command = (command?["subcommands"] as? [[String: Any]])?.first { $0["commandName"] as? String == name }
        }
        return (command?["arguments"] as? [[String: Any]] ?? []).compactMap {
            ($0["names"] as? [[String: Any]])?.compactMap { $0["name"] as? String }.last
        }
    }
}
