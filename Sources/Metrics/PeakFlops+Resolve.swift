import Foundation

extension PeakFlops {
    /// `threads` cores' worth of one core's best sgemm rate. One core's best, not a run on all of
    /// them at once: a single-threaded loop needs only one quiet core to find its ceiling, and a
    /// step uses its threads as independent single-threaded lanes (Llama), so N of them can at best
    /// do N times as much. A cache entry is checked by a short probe and replaced when the probe
    /// beats it, so a figure measured in a bad moment does not stay. `measure` is injected for tests.
    public static func measuredOrCached(threads: Int, cache: PeakCache?,
                                        now: Double = Date().timeIntervalSince1970,
                                        measure: (SgemmProbe.Plan) -> Double = SgemmProbe.bestOneCore) -> PeakFlops {
        let n = max(1, threads)
        let on = "sgemm \(SgemmProbe.shape) on one core x \(n) thread(s), OpenBLAS \(BLASEnvironment.kernel)"
        let saved = cache.map { " (cache \($0.file.path) updated)" } ?? ""
        guard let entry = cache?.entry() else {
            let core = measure(SgemmProbe.full)
            try? cache?.save(PeakCache.Entry(coreFlops: core, measuredAt: now))
            return PeakFlops(flops: Double(n) * core, source: .measured, threads: n, measuredAt: now,
                             detail: "best of \(SgemmProbe.full.trials) trials of \(on) over \(seconds(SgemmProbe.full))\(saved)")
        }
        let probed = measure(SgemmProbe.probe)
        let was = "the cached \(gigaflops(entry.coreFlops)) a core from \(age(now - entry.measuredAt))"
        if probed > entry.coreFlops {
            try? cache?.save(PeakCache.Entry(coreFlops: probed, measuredAt: now))
            return PeakFlops(flops: Double(n) * probed, source: .measured, threads: n, measuredAt: now,
                             detail: "a \(seconds(SgemmProbe.probe)) probe of \(on) reached \(gigaflops(probed)) a core, above \(was)\(saved)")
        }
        return PeakFlops(flops: Double(n) * entry.coreFlops, source: .cached, threads: n, measuredAt: entry.measuredAt,
                         detail: "\(on), \(was) in \(cache?.file.path ?? "-"); a \(seconds(SgemmProbe.probe)) probe reached \(gigaflops(probed))")
    }

    private static func seconds(_ plan: SgemmProbe.Plan) -> String { String(format: "%.1f s", plan.seconds) }

    private init(flops: Double, source: Source, threads: Int, measuredAt: Double, detail: String) {
        self.init(flops: flops, source: source, detail: detail, threads: threads, measuredAt: measuredAt)
    }
}
