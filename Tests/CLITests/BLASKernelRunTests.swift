import Foundation
import Metrics
import TestSupport
import XCTest

/// The kernel a real rank runs: the one BLASEnvironment chooses on this machine (on a CPU that
/// Debian's OpenBLAS does not know, not its Prescott fallback), or the user's OPENBLAS_CORETYPE.
final class BLASKernelRunTests: XCTestCase {
    func peakSource(_ environment: [String: String], passing: [String]) throws -> String {
        let folder = try makeTemporaryFolder(for: self, "kernel")
        let command = MPIRun.command(ranks: 1, quiet: true, options: passing.flatMap { ["-x", $0] },
                                     [try Products.executable("meshtop-rank")] + PeakCacheRunTests.tiny
                                        + ["--dump-folder", sharedDumpFolder])
        var env = environment
        env["MESHTOP_CACHE_DIR"] = folder.path
        let result = try ProcessRunner.run(command, environment: env, timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(result.stdoutLines.first { $0.hasPrefix("Peak FLOPS source: ") }, result.stdout)
    }

    func testARankRunsTheChosenKernel() throws {
        let source = try peakSource([:], passing: ["MESHTOP_CACHE_DIR"])
        XCTAssertTrue(source.contains(", OpenBLAS \(BLASEnvironment.chosen)"), "\(source); this process runs \(BLASEnvironment.kernel)")
    }

    func testAUsersCoreTypeIsKept() throws {
        // Haswell's kernel runs on every x86-64 CPU with AVX2, which this project's kernels need anyway.
        try XCTSkipUnless(BLASEnvironment.CPULevel.current.rawValue >= BLASEnvironment.CPULevel.avx2.rawValue)
        let source = try peakSource(["OPENBLAS_CORETYPE": "Haswell"], passing: ["MESHTOP_CACHE_DIR", "OPENBLAS_CORETYPE"])
        XCTAssertTrue(source.contains(", OpenBLAS Haswell"), source)
    }
}
