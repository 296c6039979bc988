import FrontendCLI
import Launcher
import TestSupport
import XCTest

/// `meshtop probe`'s mpirun command: a run's (hostfile, oversubscription, root, one BLAS thread)
/// with meshtop-probe and its options in place of meshtop-rank's.
final class ProbeLaunchTests: XCTestCase {
    func testTheProbeStartsLikeARun() throws {
        let here = try LaunchPlan.probe(ranks: 4, executable: "/bin/meshtop-probe", arguments: ["--sgemm-seconds", "1.0"],
                                        hostfile: nil, cores: 2, isRoot: true, inAllocation: false)
        XCTAssertEqual(here.arguments, ["mpirun", "-np", "4", "--oversubscribe", "--allow-run-as-root", "-q",
                                        "-x", "OPENBLAS_NUM_THREADS=1", "-x", "OPENBLAS_THREAD_TIMEOUT=4",
                                        "/bin/meshtop-probe", "--sgemm-seconds", "1.0"])
        let hosts = try LaunchPlan.probe(ranks: 4, executable: "/bin/meshtop-probe", arguments: [], hostfile: "hosts",
                                         cores: 2, isRoot: false, inAllocation: false)
        XCTAssertEqual(Array(hosts.arguments.prefix(5)), ["mpirun", "-np", "4", "--hostfile", "hosts"])
        XCTAssertFalse(hosts.arguments.contains("--oversubscribe"), "the hostfile's slots decide")
        XCTAssertThrowsError(try LaunchPlan.probe(ranks: 0, executable: "p", arguments: [], hostfile: nil))
    }

    func testOneRankPerSlotAndAtLeastAPair() throws {
        XCTAssertEqual(LaunchPlan.probeRanks(hosts: nil, cores: 8), 8)
        XCTAssertEqual(LaunchPlan.probeRanks(hosts: nil, cores: 1), 2, "a pair to time")
        XCTAssertEqual(LaunchPlan.probeRanks(hosts: try Hostfile(text: "a slots=2\nb slots=3\n", name: "h"), cores: 2), 5)
    }

    /// `meshtop probe --dry-run`: meshtop-probe next to meshtop, one rank per slot of the hostfile.
    func testDryRunPrintsTheCommand() throws {
        let folder = try makeTemporaryFolder(for: self, "probe-dry-run")
        let hostfile = folder.appendingPathComponent("hosts").path
        try "a slots=2\nb slots=2\n".write(toFile: hostfile, atomically: true, encoding: .utf8)
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "probe", "--dry-run", "--hostfile", hostfile,
                                            "-o", folder.appendingPathComponent("t.json").path], timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        let words = result.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        XCTAssertEqual(Array(words.prefix(5)), ["mpirun", "-np", "4", "--hostfile", hostfile])
        XCTAssertTrue(words.contains { $0.hasSuffix("/meshtop-probe") }, result.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("t.json").path), "nothing written")
    }
}
