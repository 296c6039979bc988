import Foundation
import Launcher
import TestSupport
import XCTest

/// torchtitan's own llama3 debug_model.toml (two 2025 versions, stored as fixtures) loads as it
/// is; the mesh follows torchtitan's -1; datasets and tokenizers meshtop lacks are replaced.
final class ConfigFileTorchtitanTests: XCTestCase {
    static func fixture(_ name: String) -> String {
        Products.packageRoot.appendingPathComponent("Tests/LauncherTests/Fixtures/\(name)").path
    }

    static let october = fixture("torchtitan_debug_model.toml")
    static let april = fixture("torchtitan_debug_model_2025_04.toml")
    /// What both versions' keys become: their training settings did not change between them.
    static let debugModelArguments = ["--dump-folder", "./outputs", "--flavor", "debugmodel", "--lr", "0.0008",
                                      "--warmup-steps", "2", "--decay-ratio", "0.8", "--min-lr-factor", "0.0",
                                      "--local-batch-size", "8", "--seq-len", "2048", "--steps", "10", "--max-norm", "1.0",
                                      "--log-freq", "1"]

    func testTheOctober2025FileLoadsWithOneWarningAndItsKeysHonoured() throws {
        let file = try ConfigFile(path: Self.october)
        XCTAssertEqual(file.arguments, Self.debugModelArguments)
        XCTAssertEqual(file.warnings, [
            "\(Self.october): ignored: [activation_checkpoint], [compile], [profiling], [quantize.linear.float8], [validation], "
                + "checkpoint.async_mode, checkpoint.export_dtype, checkpoint.last_save_model_only, job.print_config, "
                + "metrics.disable_color_printing, metrics.enable_tensorboard, metrics.enable_wandb, metrics.save_tb_folder, "
                + "parallelism.pipeline_parallel_schedule; "
                + "dataset \"c4_test\" is not one meshtop has: training on the shipped tinyshakespeare; "
                + "model.hf_assets_path \"./tests/assets/tokenizer\" is not there: using the shipped tokenizer",
        ])
        XCTAssertEqual(file.degrees, MeshDegrees(replicate: 1, shard: -1))
        XCTAssertEqual(try file.meshArguments(ranks: 4), ["--mesh", "1x4"], "-1: every remaining rank")
        XCTAssertEqual(try file.meshArguments(ranks: nil, cores: 2), ["--mesh", "1x2"], "no --np: one rank per core")
    }

    func testTheApril2025FileWithTheOlderNamesLoadsToo() throws {
        let file = try ConfigFile(path: Self.april)
        XCTAssertEqual(file.arguments, Self.debugModelArguments)
        XCTAssertEqual(file.warnings.count, 1)
        let warning = try XCTUnwrap(file.warnings.first)
        for part in ["[float8]", "[activation_checkpoint]", "[profiling]", "model.norm_type", "training.compile",
                     "checkpoint.model_weights_only", "job.use_for_integration_test", "dataset \"c4_test\"",
                     "model.tokenizer_path \"./tests/assets/test_tiktoken.model\" is not there: using the shipped tokenizer"] {
            XCTAssertTrue(warning.contains(part), "\(part) missing from: \(warning)")
        }
        XCTAssertEqual(try file.meshArguments(ranks: 3), ["--mesh", "1x3"])
    }

    func testMeshDegreesThatCannotBeAreRefusedNamingTheKeyAndValue() throws {
        func refusal(_ toml: String, ranks: Int? = nil) -> String {
            do { _ = try ConfigFile(toml: toml, name: "x.toml").meshArguments(ranks: ranks, cores: 2); return "accepted" } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(refusal("[parallelism]\ndata_parallel_replicate_degree = 2\ndata_parallel_shard_degree = -1\n", ranks: 3),
                       "x.toml: [parallelism] data_parallel_shard_degree = -1 shares the ranks among data_parallel_replicate_degree = 2 replicas, but 3 ranks (--np) do not divide by 2")
        XCTAssertEqual(refusal("[parallelism]\ndata_parallel_replicate_degree = 4\n"),
                       "x.toml: [parallelism] data_parallel_shard_degree = -1 shares the ranks among data_parallel_replicate_degree = 4 replicas, but 2 ranks (one per core) do not divide by 4")
        XCTAssertEqual(refusal("[parallelism]\ndata_parallel_replicate_degree = 2\ndata_parallel_shard_degree = 2\n", ranks: 2),
                       "x.toml: [parallelism] data_parallel_replicate_degree = 2 and data_parallel_shard_degree = 2 make 4 ranks, but --np is 2")
        XCTAssertEqual(refusal("[parallelism]\ndata_parallel_replicate_degree = -1\n"),
                       "x.toml: [parallelism] data_parallel_replicate_degree = -1: must be at least 1 (only data_parallel_shard_degree may be -1)")
        XCTAssertEqual(refusal("[parallelism]\ndata_parallel_shard_degree = 0\n"),
                       "x.toml: [parallelism] data_parallel_shard_degree = 0: must be -1 (all remaining ranks) or at least 1")
        XCTAssertEqual(refusal("[parallelism]\ntensor_parallel_degree = 2\n"),
                       "x.toml: [parallelism] tensor_parallel_degree = 2: meshtop has data parallelism only (must be 1)")
        XCTAssertEqual(refusal("[parallelism]\nfsdp_reshard_after_forward = \"sometimes\"\n"),
                       "x.toml: [parallelism] fsdp_reshard_after_forward = \"sometimes\": expected \"default\", \"always\" or \"never\"")
        let never = try ConfigFile(toml: "[parallelism]\ndata_parallel_replicate_degree = 2\nfsdp_reshard_after_forward = \"never\"\n")
        XCTAssertEqual(never.arguments, ["--no-reshard-after-forward"])
        XCTAssertEqual(try never.meshArguments(ranks: 4), ["--mesh", "2x2"])
    }

    func testDatasetsAndTokenizerFolders() throws {
        let folder = try makeTemporaryFolder(for: self, "assets")
        let assets = folder.appendingPathComponent("tokenizer").path
        try FileManager.default.createDirectory(atPath: assets, withIntermediateDirectories: true)

        let c4 = try ConfigFile(toml: "[training]\ndataset = \"c4\"\n", name: "x.toml")
        XCTAssertEqual(c4.arguments, [])
        XCTAssertEqual(c4.warnings, ["x.toml: dataset \"c4\" is not one meshtop has: training on the shipped tinyshakespeare"])
        let given = try ConfigFile(toml: "[training]\ndataset = \"c4\"\ndataset_path = \"corpus.txt\"\n")
        XCTAssertEqual(given.arguments, ["--data", "corpus.txt"])
        XCTAssertEqual(given.warnings, [], "a dataset_path names the data itself")
        XCTAssertEqual(try ConfigFile(toml: "[training]\ndataset = \"tinyshakespeare\"\n").warnings, [])

        XCTAssertThrowsError(try ConfigFile(toml: "[model]\nhf_assets_path = \"\(assets)\"\n", name: "x.toml")) { error in
            XCTAssertEqual("\(error)", "x.toml: [model] hf_assets_path = \"\(assets)\": no tokenizer.json in that folder")
        }
        try FileManager.default.copyItem(atPath: Products.dataFile("tokenizer.json"), toPath: assets + "/tokenizer.json")
        for key in ["hf_assets_path", "tokenizer_path"] {
            let file = try ConfigFile(toml: "[model]\n\(key) = \"\(assets)\"\n")
            XCTAssertEqual(file.arguments, ["--tokenizer", assets + "/tokenizer.json"], key)
            XCTAssertEqual(file.warnings, [], key)
        }
        let json = try ConfigFile(toml: "[model]\ntokenizer_path = \"\(assets)/tokenizer.json\"\n")
        XCTAssertEqual(json.arguments, ["--tokenizer", assets + "/tokenizer.json"])
        let tiktoken = folder.appendingPathComponent("test_tiktoken.model").path
        XCTAssertTrue(FileManager.default.createFile(atPath: tiktoken, contents: Data("x".utf8)))
        XCTAssertThrowsError(try ConfigFile(toml: "[model]\ntokenizer_path = \"\(tiktoken)\"\n", name: "x.toml")) { error in
            XCTAssertEqual("\(error)", "x.toml: [model] tokenizer_path = \"\(tiktoken)\": meshtop reads a Hugging Face tokenizer.json, or a folder holding one")
        }
    }
}
