import FrontendCLI
import Foundation
import Launcher
import RunSpec
import TestSupport
import XCTest

/// `--config FILE.toml` in torchtitan's shape: keys, types, checkpoints, command-line overrides.
final class ConfigFileTests: XCTestCase {
    func testTheShippedExampleIsTheDebugmodelOnTwoByTwo() throws {
        let path = Products.packageRoot.appendingPathComponent("examples/debug_model.toml").path
        let file = try ConfigFile(path: path)
        XCTAssertEqual(file.warnings, [])
        XCTAssertEqual(file.arguments, ["--dump-folder", "./outputs", "--flavor", "debugmodel", "--lr", "0.0008",
                                        "--weight-decay", "0.1", "--warmup-steps", "2", "--decay-ratio", "0.8",
                                        "--min-lr-factor", "0.0", "--local-batch-size", "8", "--seq-len", "256",
                                        "--grad-accum", "1", "--steps", "10", "--max-norm", "1.0", "--seed", "0",
                                        "--log-freq", "1"])
        XCTAssertEqual(try file.meshArguments(ranks: nil), ["--mesh", "2x2"])
    }

    func testEverythingIgnoredIsOneWarningNamingIt() throws {
        let file = try ConfigFile(toml: "[training]\nsteps = 3\nwarp_speed = 9\n[extras]\na = 1\n[optimizer]\neps = 1e-6\n",
                                  name: "x.toml")
        XCTAssertEqual(file.arguments, ["--steps", "3"])
        XCTAssertEqual(file.warnings, ["x.toml: ignored: [extras], training.warp_speed, optimizer.eps = 1e-06 (meshtop: 1e-08)"])
        let same = try ConfigFile(toml: "[optimizer]\nname = \"AdamW\"\neps = 0.00000001\n[metrics]\nlog_freq = 1\n")
        XCTAssertEqual(same.warnings, [], "what meshtop does anyway is not ignored")
    }

    func testAWrongTypeFailsNamingTheKeyAndValue() {
        XCTAssertThrowsError(try ConfigFile(toml: "[training]\nsteps = \"ten\"\n", name: "x.toml")) { error in
            XCTAssertEqual("\(error)", "x.toml: [training] steps = \"ten\": expected an integer")
        }
        XCTAssertThrowsError(try ConfigFile(toml: "[optimizer]\nlr = true\n", name: "x.toml")) { error in
            XCTAssertEqual("\(error)", "x.toml: [optimizer] lr = true: expected a number")
        }
        XCTAssertThrowsError(try ConfigFile(toml: "[training\nsteps = 1\n", name: "x.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("x.toml: not TOML (line 1"), "\(error)")
        }
    }

    func testCheckpointsAreTorchtitansFolderUnderTheDumpFolderAndResume() throws {
        let off = try ConfigFile(toml: "[checkpoint]\nenable = false\nfolder = \"c\"\ninterval = 5\n")
        XCTAssertEqual(off.arguments, [])
        let on = try ConfigFile(toml: "[checkpoint]\nenable = true\nfolder = \"c\"\ninterval = 5\nkeep_latest_k = 0\n")
        XCTAssertEqual(on.arguments, ["--checkpoint-dir", "outputs/c", "--checkpoint-every", "5", "--resume"])
        let placed = try ConfigFile(toml: "[job]\ndump_folder = \"/tmp/run\"\n[checkpoint]\nenable_checkpoint = true\nkeep_latest_k = 3\nload_step = 20\n")
        XCTAssertEqual(placed.arguments, ["--dump-folder", "/tmp/run", "--checkpoint-dir", "/tmp/run/checkpoint",
                                          "--keep-checkpoints", "3", "--resume-step", "20"])
        XCTAssertThrowsError(try ConfigFile(toml: "[checkpoint]\nenable = true\nload_step = 0\n", name: "x.toml")) { error in
            XCTAssertEqual("\(error)", "x.toml: [checkpoint] load_step = 0: must be -1 (the newest) or a step of at least 1")
        }
        XCTAssertThrowsError(try ConfigFile(toml: "[checkpoint]\nenable = true\ninterval = 0\n", name: "x.toml")) { error in
            XCTAssertEqual("\(error)", "x.toml: [checkpoint] interval = 0: must be at least 1")
        }
    }

    func testCommandLineOptionsOverrideTheFile() throws {
        let folder = try makeTemporaryFolder(for: self, "config")
        let path = folder.appendingPathComponent("run.toml").path
        try "[training]\nsteps = 7\nseq_len = 64\n[model]\nflavor = \"tiny\"\n[parallelism]\ndata_parallel_shard_degree = 2\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        var warnings: [String] = []
        let expanded = try ConfigFile.expand(["--config", path, "--steps", "3"], subcommands: ["run", "replay"]) { warnings.append($0) }
        XCTAssertEqual(expanded, ["run", "--flavor", "tiny", "--seq-len", "64", "--steps", "7", "--mesh", "1x2", "--steps", "3"])
        XCTAssertEqual(warnings, [])
        let run = try RunCommand.parse(Array(expanded.dropFirst()))
        XCTAssertEqual(run.training.steps, 3, "the command line wins")
        XCTAssertEqual(run.training.seqLen, 64)
        XCTAssertEqual(run.mesh, meshShape(1, 2))
        // The command line's mesh replaces the file's; its resume option replaces the file's.
        try "[parallelism]\ndata_parallel_replicate_degree = 3\n[checkpoint]\nenable = true\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ConfigFile.expand(["run", "--config=\(path)", "--mesh", "1x2", "--resume-step", "4"], subcommands: ["run"]) { _ in },
                       ["run", "--checkpoint-dir", "outputs/checkpoint", "--mesh", "1x2", "--resume-step", "4"])

        // End to end: the dry run shows the merged options; a wrong type exits 2 naming the key.
        try "[training]\nsteps = 7\nseq_len = 64\n[model]\nflavor = \"tiny\"\n[parallelism]\ndata_parallel_shard_degree = 2\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let dry = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--config", path, "--steps", "3", "--dry-run"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.hasSuffix("meshtop-rank --mesh 1x2 --flavor tiny --seq-len 64 --steps 3\n"), dry.stdout)
        try "[training]\nsteps = \"ten\"\n[job]\nnope = 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let bad = try ProcessRunner.run([try Products.executable("meshtop"), "--config", path, "--dry-run"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stderrLines, ["meshtop: \(path): [training] steps = \"ten\": expected an integer"])
        try "[training]\nsteps = 2\n[job]\nnope = 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let warned = try ProcessRunner.run([try Products.executable("meshtop"), "--config", path, "--dry-run"])
        XCTAssertEqual(warned.status, 0, warned.stderr)
        XCTAssertEqual(warned.stderrLines, ["meshtop: warning: \(path): ignored: job.nope"])
    }
}
