import FrontendCLI
import Foundation
import Launcher
import TestSupport
import XCTest

/// `--config FILE.toml` in torchtitan's shape.
final class ConfigFileTests: XCTestCase {
    func testTheShippedExampleIsTheDebugmodelOnTwoByTwo() throws {
        let path = Products.packageRoot.appendingPathComponent("examples/debug_model.toml").path
        let file = try ConfigFile(path: path)
        XCTAssertEqual(file.warnings, [])
        XCTAssertEqual(file.arguments, ["--dump-folder", "./outputs", "--flavor", "debugmodel", "--lr", "0.0008",
                                        "--weight-decay", "0.1", "--warmup-steps", "2", "--decay-ratio", "0.8",
                                        "--min-lr-factor", "0.0", "--local-batch-size", "8", "--seq-len", "256",
                                        "--grad-accum", "1", "--steps", "10", "--max-norm", "1.0", "--seed", "0",
                                        "--mesh", "2x2"])
    }

    func testUnknownKeysAndSectionsWarnNamingThem() throws {
        let file = try ConfigFile(toml: "[training]\nsteps = 3\nwarp_speed = 9\n[extras]\na = 1\n", name: "x.toml")
        XCTAssertEqual(file.arguments, ["--steps", "3"])
        XCTAssertEqual(Set(file.warnings), ["x.toml: unknown key warp_speed in [training] ignored",
                                            "x.toml: unknown section [extras] ignored"])
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

    func testACheckpointSectionThatIsNotEnabledSetsNothing() throws {
        let file = try ConfigFile(toml: "[checkpoint]\nenable = false\nfolder = \"c\"\ninterval = 5\n")
        XCTAssertEqual(file.arguments, [])
        let on = try ConfigFile(toml: "[checkpoint]\nenable = true\nfolder = \"c\"\ninterval = 5\n")
        XCTAssertEqual(on.arguments, ["--checkpoint-dir", "c", "--checkpoint-every", "5"])
    }

    func testCommandLineOptionsOverrideTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("run.toml").path
        try "[training]\nsteps = 7\nseq_len = 64\n[model]\nflavor = \"tiny\"\n[parallelism]\ndata_parallel_shard_degree = 2\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        var warnings: [String] = []
        let expanded = try ConfigFile.expand(["--config", path, "--steps", "3"], subcommands: ["run", "replay"]) { warnings.append($0) }
        XCTAssertEqual(expanded, ["run", "--flavor", "tiny", "--seq-len", "64", "--steps", "7", "--mesh", "1x2", "--steps", "3"])
        let run = try RunCommand.parse(Array(expanded.dropFirst()))
        XCTAssertEqual(run.training.steps, 3, "the command line wins")
        XCTAssertEqual(run.training.seqLen, 64)
        XCTAssertEqual(run.mesh, "1x2")

        // End to end: the dry run shows the merged options; a wrong type exits 2 naming the key.
        let dry = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--config", path, "--steps", "3", "--dry-run"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.hasSuffix("meshtop-rank --mesh 1x2 --flavor tiny --seq-len 64 --steps 3\n"), dry.stdout)
        try "[training]\nsteps = \"ten\"\n[job]\nnope = 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let bad = try ProcessRunner.run([try Products.executable("meshtop"), "--config", path, "--dry-run"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("[training] steps = \"ten\": expected an integer"), bad.stderr)
        try "[training]\nsteps = 2\n[job]\nnope = 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let warned = try ProcessRunner.run([try Products.executable("meshtop"), "--config", path, "--dry-run"])
        XCTAssertEqual(warned.status, 0, warned.stderr)
        XCTAssertTrue(warned.stderr.contains("warning: \(path): unknown key nope in [job] ignored"), warned.stderr)
    }
}
