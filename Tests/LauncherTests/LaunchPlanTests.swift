import FrontendCLI
import Launcher
import RankCLI
import RunOptions
import RunSpec
import TestSupport
import XCTest

/// The mpirun command is a pure function of the options.
final class LaunchPlanTests: XCTestCase {
    func testOversubscribesOnlyWhenRanksExceedCores() throws {
        var plan = LaunchPlan(spec: try RunOptions.specification(parsing: ["--mesh", "2x2"]), rankExecutable: "/bin/meshtop-rank",
                              cores: 2, isRoot: true, exportedVariables: ["MESHTOP_TELEMETRY"])
        XCTAssertEqual(plan.arguments, ["mpirun", "-np", "4", "--oversubscribe", "--allow-run-as-root", "-q",
                                        "-x", "OPENBLAS_NUM_THREADS=1", "-x", "OPENBLAS_THREAD_TIMEOUT=4", "-x", "MESHTOP_TELEMETRY",
                                        "/bin/meshtop-rank", "--mesh", "2x2"])
        plan.ranks = 2
        plan.isRoot = false
        plan.threads = 2
        // two threads a rank: not bound to one core, where its lanes would take turns
        XCTAssertEqual(plan.arguments, ["mpirun", "-np", "2", "--bind-to", "none", "-q", "-x", "OPENBLAS_NUM_THREADS=2",
                                        "-x", "OPENBLAS_THREAD_TIMEOUT=4", "-x", "MESHTOP_TELEMETRY", "/bin/meshtop-rank", "--mesh", "2x2"])
        plan.hostfile = "hosts"
        plan.ranks = 8
        XCTAssertEqual(Array(plan.arguments.prefix(5)), ["mpirun", "-np", "8", "--hostfile", "hosts"])
        XCTAssertFalse(plan.arguments.contains("--oversubscribe"), "with a hostfile the slots decide")
    }

    func testShellQuoting() {
        XCTAssertEqual(Shell.quote("--mesh"), "--mesh")
        XCTAssertEqual(Shell.quote("a b"), "'a b'")
        XCTAssertEqual(Shell.quote("it's"), "'it'\\''s'")
        XCTAssertEqual(Shell.quote(""), "''")
    }

    func testMeshChoice() throws {
        XCTAssertEqual(try MeshChoice.resolve(np: nil, mesh: nil, cores: 2), meshShape(2, 1))
        XCTAssertEqual(try MeshChoice.resolve(np: 4, mesh: nil, cores: 2), meshShape(4, 1))
        XCTAssertEqual(try MeshChoice.resolve(np: nil, mesh: meshShape(2, 2), cores: 2), meshShape(2, 2))
        XCTAssertThrowsError(try MeshChoice.resolve(np: 3, mesh: meshShape(2, 2), cores: 2)) { error in
            XCTAssertTrue("\(error)".contains("--np is 3"), "\(error)")
        }
    }

    func testRunOptionsPassTheTrainerOptionsThrough() throws {
        let run = try RunCommand.parse(["--mesh", "1x2", "--flavor", "tiny", "--seq-len", "32", "--steps", "3",
                                        "--lr", "0.001", "--no-reshard-after-forward", "--checkpoint-dir", "/tmp/c",
                                        "--checkpoint-every", "2", "--threads", "2"])
        let plan = try run.plan(exportedVariables: ["V"], cores: 2)
        XCTAssertEqual(plan.ranks, 2)
        XCTAssertEqual(plan.threads, 2)
        XCTAssertTrue(plan.rankExecutable.hasSuffix("/meshtop-rank"))
        XCTAssertEqual(plan.rankArguments, ["--mesh", "1x2", "--flavor", "tiny", "--seq-len", "32", "--steps", "3",
                                            "--lr", "0.001", "--threads", "2", "--no-reshard-after-forward",
                                            "--checkpoint-dir", "/tmp/c", "--checkpoint-every", "2"])
        // What is passed parses back to the same run in meshtop-rank.
        XCTAssertEqual(try RunOptions.specification(parsing: plan.rankArguments), plan.spec)
    }

    func testDefaultsAreDebugmodelOnOneRankPerCore() throws {
        let plan = try RunCommand.parse([]).plan(exportedVariables: [], cores: 3)
        XCTAssertEqual(plan.ranks, 3)
        XCTAssertEqual(plan.rankArguments, ["--mesh", "3x1"])
    }

    func testAMissingDataFileFailsBeforeLaunchingNamingIt() throws {
        XCTAssertThrowsError(try RunCommand.parse(["--data", "/nonexistent/corpus.txt"]).plan()) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/corpus.txt"), "\(error)")
        }
    }
}
