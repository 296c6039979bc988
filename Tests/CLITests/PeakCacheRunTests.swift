import Foundation
import Metrics
import TestSupport
import XCTest

/// meshtop-rank's peak with a cache of its own (MESHTOP_CACHE_DIR), as a user's second run meets it.
final class PeakCacheRunTests: XCTestCase {
    func run(cache: URL, _ arguments: [String]) throws -> ProcessResult {
        let command = MPIRun.command(ranks: 1, quiet: true, options: ["-x", "MESHTOP_CACHE_DIR"],
                                     [try Products.executable("meshtop-rank")] + arguments
                                        + ["--dump-folder", sharedDumpFolder])
        let result = try ProcessRunner.run(command, environment: ["MESHTOP_CACHE_DIR": cache.path], timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result
    }

    func testACacheHoldingHalfThePeakIsReplacedAndNoMFUPasses100() throws {
        let folder = try makeTemporaryFolder(for: self, "peak-half")
        let cache = PeakCache(directory: folder)
        // This process's kernel may be slower than the rank's (BLASEnvironment): half of it is
        // at most half of the rank's.
        let doctored = SgemmProbe.bestOneCore(SgemmProbe.probe) / 2
        try cache.save(PeakCache.Entry(coreFlops: doctored, measuredAt: Date().timeIntervalSince1970 - 7200), key: rankKey)
        let metrics = folder.appendingPathComponent("metrics.jsonl")
        let result = try run(cache: folder, ["--steps", "3", "--metrics-file", metrics.path])
        let lines = result.stdoutLines
        let source = try XCTUnwrap(lines.first { $0.hasPrefix("Peak FLOPS source: ") }, result.stdout)
        XCTAssertTrue(source.hasPrefix("Peak FLOPS source: measured now (a 0.2 s probe"), source)
        XCTAssertGreaterThan(try XCTUnwrap(cache.entry(rankKey)).coreFlops, doctored)
        let mfus = lines.compactMap { line in line.range(of: #"mfu: [0-9.]+%"#, options: .regularExpression)
            .flatMap { Double(line[$0].dropFirst(5).dropLast()) } }
        XCTAssertEqual(mfus.count, 3, result.stdout)
        for mfu in mfus { XCTAssertLessThanOrEqual(mfu, 100, result.stdout) }
        for line in lines where line.hasPrefix("step: ") {
            XCTAssertNotNil(line.range(of: #"  mfu: [0-9.]+%  peak: [0-9.]+ GF/s (measured now|raised at step \d)  = gemm [0-9.]+% of peak x [0-9.]+% in gemm x [0-9.]+% not waiting x [0-9.]+ model/gemm flops$"#,
                                       options: .regularExpression), line)
        }
        // The metrics file carries the peak each step was scored against.
        let steps = try String(contentsOf: metrics, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(steps.count, 3)
        for step in steps { XCTAssertTrue(step.contains(#""peak":{"#), String(step)) }
    }

    func testACachedPeakAboveTheProbeIsKeptAndSaidToBeCachedWithItsAge() throws {
        let folder = try makeTemporaryFolder(for: self, "peak-high")
        let cache = PeakCache(directory: folder)
        // 10 TFLOP/s a core: no probe of a CPU core reaches it.
        let entry = PeakCache.Entry(coreFlops: 1e13, measuredAt: Date().timeIntervalSince1970 - 7200)
        try cache.save(entry, key: rankKey)
        let result = try run(cache: folder, Self.tiny)
        let source = try XCTUnwrap(result.stdoutLines.first { $0.hasPrefix("Peak FLOPS source: ") }, result.stdout)
        XCTAssertTrue(source.hasPrefix("Peak FLOPS source: cached 2h ago (sgemm 512x768x256 on one core x 1 thread(s)"), source)
        let step = try XCTUnwrap(result.stdoutLines.first { $0.hasPrefix("step: ") })
        XCTAssertTrue(step.contains("  peak: 10000.0 GF/s cached 2h ago  = gemm "), step)
        XCTAssertEqual(cache.entry(rankKey), entry)
    }

    /// The cache key of the rank, which runs the kernel BLASEnvironment chooses for it.
    let rankKey = MachineKey.current(kernel: BLASEnvironment.chosen)

    static let tiny = ["--flavor", "tiny", "--seq-len", "32", "--local-batch-size", "2", "--steps", "1"]

    func testAnOldFormatCacheIsReplacedNotCrashedOn() throws {
        let folder = try makeTemporaryFolder(for: self, "peak-old")
        let cache = PeakCache(directory: folder)
        try Data(#"{"AMD EPYC | OpenBLAS | one core": 71857578032.4}"#.utf8).write(to: cache.file)
        let result = try run(cache: folder, Self.tiny)
        let source = try XCTUnwrap(result.stdoutLines.first { $0.hasPrefix("Peak FLOPS source: ") }, result.stdout)
        XCTAssertTrue(source.hasPrefix("Peak FLOPS source: measured now (best of 5 trials"), source)
        XCTAssertNotNil(cache.entry(rankKey))
    }
}
