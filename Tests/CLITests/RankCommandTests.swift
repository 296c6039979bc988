import Foundation
import RankCLI
import RunSpec
import TestSupport
import XCTest

/// meshtop-rank started the way users start it: under mpirun.
final class RankCommandTests: XCTestCase {
    /// A short run of the tiny flavor: the lines are the same as the debugmodel's.
    static let short = ["--flavor", "tiny", "--seq-len", "32", "--local-batch-size", "2", "--steps", "2",
                        "--peak-tflops", "0.1", "--dump-folder", sharedDumpFolder]

    func testPrintsTorchtitansStartupLinesOnceOnRankZero() throws {
        let result = try MPIRun.run(ranks: 4, [try Products.executable("meshtop-rank"), "--mesh", "2x2"] + Self.short,
                                    timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdoutLines
        XCTAssertEqual(lines.first, "Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [2, 2]")
        XCTAssertEqual(lines.filter { $0.hasPrefix("Building 2-D device mesh") }.count, 1)
        XCTAssertEqual(lines.filter { $0.hasPrefix("Model llama3 tiny size: ") }.count, 1)
        XCTAssertEqual(lines.filter { $0.hasPrefix("Peak FLOPS used for computing MFU: 1.000e+11") }.count, 1)
        XCTAssertTrue(lines.contains("Trainer is initialized with local batch size 2, global batch size 8, gradient accumulation steps 1, sequence length 32, total steps 2 (warmup 2)"), result.stdout)
        XCTAssertEqual(lines.filter { $0.hasPrefix("step: ") }.map { String($0.prefix(9)) }, ["step:  1 ", "step:  2 "])
    }

    func testDefaultMeshIsReplicate() throws {
        let result = try MPIRun.run(ranks: 2, [try Products.executable("meshtop-rank")] + Self.short, timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdoutLines.first, "Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [2, 1]")
    }

    func testBadOptionsAreRefusedBeforeTrainingWithTheOptionNamed() throws {
        let rank = try Products.executable("meshtop-rank")
        for (arguments, named) in [(["--steps", "0"], "--steps 0"), (["--data", "/nonexistent.txt"], "--data /nonexistent.txt"),
                                   (["--flavor", "huge"], "huge"), (["--seq-len", "4096"], "--seq-len 4096")] {
            let result = try ProcessRunner.run([rank] + arguments, timeout: 60)
            XCTAssertEqual(result.status, 2, "\(arguments)")
            XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(named), result.stderr)
        }
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

    static let malformed = [("0x4", "0x4"), ("abc", "'abc'"), ("2x2x1", "'2x2x1'"), ("-1,2", "-1x2")]

    /// What each malformed mesh is refused with where meshtop-rank reads `--mesh`, before
    /// MPI_Init (the option parses with `MeshShape.parse`; CommandMain prints ArgumentParser's
    /// message flattened): one line naming the input.
    func testMalformedMeshesAreRefusedInOneLineNamingTheInput() throws {
        for (mesh, named) in Self.malformed {
            XCTAssertThrowsError(try RankCommand.parse(["--mesh=\(mesh)"]), mesh) { error in
                let line = ErrorText.flattened(RankCommand.message(for: error))
                XCTAssertFalse(line.contains("\n"), line)
                XCTAssertTrue(line.contains(named), line)
            }
        }
    }

    /// What mpirun adds to the refusal above: every rank exits 2 and only rank 0 says it, once.
    func testAMalformedMeshExits2WithOneLineUnderMPIRun() throws {
        let (mesh, named) = Self.malformed[1]
        let result = try MPIRun.run(ranks: 2, quiet: true, [try Products.executable("meshtop-rank"), "--mesh=\(mesh)"],
                                    timeout: 120)
        XCTAssertEqual(result.status, 2, mesh)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains(named), result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("meshtop-rank: "), result.stderr)
    }

    func testHelpExplainsTheMesh() throws {
        let result = try ProcessRunner.run([try Products.executable("meshtop-rank"), "--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("--mesh <RxS>"), result.stdout)
        XCTAssertTrue(result.stdout.contains("dp_replicate"), result.stdout)
    }
}
