import TestSupport
import XCTest

/// meshtop-rank started the way users start it: under mpirun.
final class RankCommandTests: XCTestCase {
    func testPrintsTheMeshLineOnceOnRankZero() throws {
        let result = try MPIRun.run(ranks: 4, [try Products.executable("meshtop-rank"), "--mesh", "2x2"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdoutLines, ["Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [2, 2]"])
    }

    func testDefaultMeshIsReplicate() throws {
        let result = try MPIRun.run(ranks: 2, [try Products.executable("meshtop-rank")], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdoutLines, ["Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [2, 1]"])
    }

    static let mismatch = "meshtop-rank: mesh 3x2 needs 3 x 2 = 6 ranks, but 4 were started"

    func testMeshOfTheWrongSizeExits2WithOneLine() throws {
        let rank = try Products.executable("meshtop-rank")
        // Bare mpirun: the ranks say it once, and nothing aborts (mpirun adds its own exit notice).
        let bare = try MPIRun.run(ranks: 4, [rank, "--mesh", "3x2"], timeout: 120)
        XCTAssertEqual(bare.status, 2)
        XCTAssertEqual(bare.stdout, "")
        XCTAssertEqual(bare.stderrLines.filter { $0.hasPrefix("meshtop-rank:") }, [Self.mismatch])
        XCTAssertFalse(bare.stderr.contains("MPI_ABORT"), bare.stderr)
        // With mpirun -q (as meshtop's launcher runs it) that line is all there is.
        let quiet = try MPIRun.run(ranks: 4, quiet: true, [rank, "--mesh", "3x2"], timeout: 120)
        XCTAssertEqual(quiet.status, 2)
        XCTAssertEqual(quiet.stderrLines, [Self.mismatch])
    }

    func testMalformedMeshesExit2WithOneLineNamingTheInput() throws {
        for (mesh, named) in [("0x4", "0x4"), ("abc", "'abc'"), ("2x2x1", "'2x2x1'"), ("-1,2", "-1x2")] {
            let result = try MPIRun.run(ranks: 2, quiet: true, [try Products.executable("meshtop-rank"), "--mesh=\(mesh)"],
                                        timeout: 120)
            XCTAssertEqual(result.status, 2, mesh)
            XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(named), result.stderr)
        }
    }

    func testHelpExplainsTheMesh() throws {
        let result = try ProcessRunner.run([try Products.executable("meshtop-rank"), "--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("--mesh <RxS>"), result.stdout)
        XCTAssertTrue(result.stdout.contains("dp_replicate"), result.stdout)
    }
}
