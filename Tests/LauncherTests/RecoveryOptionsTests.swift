import FrontendCLI
import Launcher
import TestSupport
import XCTest

/// `--on-failure` and `--max-restarts` as `meshtop run` parses them, from the command line and
/// from a config file's [meshtop] section.
final class RecoveryOptionsTests: XCTestCase {
    func testTheDefaultIsStopAndRestartOrShrinkNeedACheckpointFolder() throws {
        XCTAssertEqual(try RunCommand.parse([]).failures.recovery, Recovery(policy: .stop, maxRestarts: 3))
        let shrink = try RunCommand.parse(["--on-failure", "shrink", "--max-restarts", "1", "--checkpoint-dir", "/tmp/c"])
        XCTAssertEqual(shrink.failures.recovery.policy, .shrink)
        XCTAssertEqual(shrink.failures.recovery.maxRestarts, 1)
        XCTAssertThrowsError(try RunCommand.parse(["--on-failure", "restart"])) { error in
            XCTAssertEqual(RunCommand.message(for: error),
                           "--on-failure restart needs --checkpoint-dir (a relaunch resumes from the newest checkpoint there)")
        }
        XCTAssertThrowsError(try RunCommand.parse(["--max-restarts", "-1"]))
        XCTAssertThrowsError(try RunCommand.parse(["--on-failure", "heal"]))
    }

    func testAConfigFileCarriesThemInItsMeshtopSection() throws {
        let folder = try makeTemporaryFolder(for: self, "recovery-config")
        let path = folder.appendingPathComponent("run.toml").path
        try "[meshtop]\non_failure = \"restart\"\nmax_restarts = 2\n".write(toFile: path, atomically: true, encoding: .utf8)
        var warnings: [String] = []
        let expanded = try ConfigFile.expand(["--config", path, "--checkpoint-dir", folder.path], subcommands: ["run"]) { warnings.append($0) }
        XCTAssertEqual(warnings, [])
        let run = try RunCommand.parse(Array(expanded.dropFirst()))
        XCTAssertEqual(run.failures.recovery, Recovery(policy: .restart, maxRestarts: 2))
    }
}
