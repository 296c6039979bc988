import CBLAS
import Foundation
import Metrics
import TestSupport
import XCTest

/// The peak's cache and probe, with the measurement injected so no test depends on timing.
final class PeakFlopsTests: XCTestCase {
    let now = 1_780_000_000.0

    func cache(_ label: String) throws -> PeakCache {
        // A folder that does not exist yet: the first save makes it.
        PeakCache(directory: try makeTemporaryFolder(for: self, label).appendingPathComponent("cache"))
    }

    func testMeasuresWithoutACacheAndSavesAVersionedEntry() throws {
        let cache = try cache("peak-new")
        var plans: [Int] = []
        let peak = PeakFlops.measuredOrCached(threads: 2, cache: cache, now: now) { plans.append($0.trials); return 9e10 }
        XCTAssertEqual(plans, [SgemmProbe.full.trials])
        XCTAssertEqual(peak.source, .measured)
        XCTAssertEqual(peak.flops, 1.8e11)
        XCTAssertEqual(peak.coreFlops, 9e10)
        XCTAssertEqual(peak.stepSuffix(now: now + 5), "peak: 180.0 GF/s measured now")
        XCTAssertEqual(cache.entry(), PeakCache.Entry(coreFlops: 9e10, measuredAt: now))
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: cache.file)) as? [String: Any]
        XCTAssertEqual(file?["version"] as? Int, PeakCache.version)
    }

    func testAProbeThatBeatsTheCacheReplacesIt() throws {
        let cache = try cache("peak-beaten")
        try cache.save(PeakCache.Entry(coreFlops: 4.5e10, measuredAt: now - 7200))
        var plans: [Int] = []
        let peak = PeakFlops.measuredOrCached(threads: 1, cache: cache, now: now) { plans.append($0.trials); return 9e10 }
        XCTAssertEqual(plans, [SgemmProbe.probe.trials], "a cached figure is checked by the short probe only")
        XCTAssertEqual(peak.source, .measured)
        XCTAssertEqual(peak.flops, 9e10)
        XCTAssertTrue(peak.sourceLine(now: now).hasPrefix("Peak FLOPS source: measured now (a 0.2 s probe"), peak.sourceLine(now: now))
        XCTAssertTrue(peak.detail.contains("above the cached 45.0 GF/s a core from 2h ago"), peak.detail)
        XCTAssertEqual(cache.entry(), PeakCache.Entry(coreFlops: 9e10, measuredAt: now))
    }

    func testACachedPeakAboveTheProbeIsKeptWithItsAge() throws {
        let cache = try cache("peak-kept")
        try cache.save(PeakCache.Entry(coreFlops: 9e10, measuredAt: now - 7200))
        let peak = PeakFlops.measuredOrCached(threads: 2, cache: cache, now: now) { _ in 8e10 }
        XCTAssertEqual(peak.source, .cached)
        XCTAssertEqual(peak.flops, 1.8e11)
        XCTAssertEqual(peak.measuredAt, now - 7200)
        XCTAssertEqual(peak.stepSuffix(now: now), "peak: 180.0 GF/s cached 2h ago")
        XCTAssertTrue(peak.sourceLine(now: now).hasPrefix("Peak FLOPS source: cached 2h ago (sgemm 512x768x256"), peak.sourceLine(now: now))
        XCTAssertEqual(cache.entry(), PeakCache.Entry(coreFlops: 9e10, measuredAt: now - 7200))
    }

    func testAnOldFormatFileIsIgnoredAndRewritten() throws {
        let cache = try cache("peak-old")
        try FileManager.default.createDirectory(at: cache.file.deletingLastPathComponent(), withIntermediateDirectories: true)
        // The first format: a bare table from key to one core's FLOP/s.
        try Data(#"{"\#(MachineKey.current())": 7.16e10}"#.utf8).write(to: cache.file)
        XCTAssertNil(cache.entry())
        let peak = PeakFlops.measuredOrCached(threads: 1, cache: cache, now: now) { _ in 9e10 }
        XCTAssertEqual(peak.source, .measured)
        XCTAssertEqual(cache.entry(), PeakCache.Entry(coreFlops: 9e10, measuredAt: now))
    }

    func testEntriesOfOtherMachinesAreKept() throws {
        let cache = try cache("peak-others")
        try cache.save(PeakCache.Entry(coreFlops: 1e11, measuredAt: now), key: "other cpu | 8 cores | other blas")
        try cache.save(PeakCache.Entry(coreFlops: 9e10, measuredAt: now))
        XCTAssertEqual(cache.entry("other cpu | 8 cores | other blas")?.coreFlops, 1e11)
        XCTAssertEqual(cache.entry()?.coreFlops, 9e10)
        XCTAssertTrue(MachineKey.current().contains(" cores | "), MachineKey.current())
    }

    /// A peak belongs to the CPU model and the BLAS library's build and kernel in use (OpenBLAS picks
    /// its kernel at run time; OPENBLAS_CORETYPE changes it): a figure of another is never taken.
    func testTheCacheIsKeyedByTheCPUModelAndTheBLASKernel() throws {
        let key = MachineKey.current()
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let model = try XCTUnwrap(cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces))
        XCTAssertTrue(key.hasPrefix(model + " | "), key)
        XCTAssertTrue(key.contains("OpenBLAS "), key)
        XCTAssertTrue(key.contains(String(cString: openblas_get_corename())), key)
    }

    func testTheCacheFolderFollowsTheEnvironment() {
        XCTAssertEqual(PeakCache.standard(environment: ["MESHTOP_CACHE_DIR": "/x/y", "HOME": "/h"]).file.path, "/x/y/peak-flops.json")
        XCTAssertEqual(PeakCache.standard(environment: ["HOME": "/h"]).file.path, "/h/.cache/meshtop/peak-flops.json")
    }

    func testAStepThatBeatsThePeakRaisesIt() {
        let cached = PeakFlops(flops: 8e10, source: .cached, detail: "", threads: 1, measuredAt: now - 7200)
        XCTAssertEqual(cached.raised(step: 3, achieved: [(0, 7e10), (1, 7.9e10)], now: now), cached)
        let raised = cached.raised(step: 7, achieved: [(0, 8.5e10), (1, 9.12e10)], now: now)
        XCTAssertEqual(raised.source, .raised)
        XCTAssertEqual(raised.flops, 9.12e10)
        XCTAssertEqual(raised.raisedAtStep, 7)
        XCTAssertEqual(raised.stepSuffix(now: now), "peak: 91.2 GF/s raised at step 7")
        XCTAssertEqual(raised.detail, "step 7 of rank 1 reached 91.2 GF/s, above the peak of 80.0 GF/s (cached 2h ago)")
    }

    func testAges() {
        XCTAssertEqual([0, 59, 60, 3599, 3600, 86399, 86400 * 3].map { PeakFlops.age(Double($0)) },
                       ["0s ago", "59s ago", "1m ago", "59m ago", "1h ago", "23h ago", "3d ago"])
        XCTAssertEqual(PeakFlops.given(tflops: 0.104).flops, 1.04e11, accuracy: 1)
        XCTAssertEqual(PeakFlops.given(tflops: 0.104).status(), "given")
    }

    func testTheProbeMeasuresThisMachine() {
        // A single core of anything this runs on does more than 1 GFLOP/s and less than 10 TFLOP/s.
        let core = SgemmProbe.bestOneCore(SgemmProbe.probe)
        XCTAssertGreaterThan(core, 1e9)
        XCTAssertLessThan(core, 1e13)
    }
}
