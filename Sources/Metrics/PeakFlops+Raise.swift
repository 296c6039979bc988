extension PeakFlops {
    /// The peak after a step whose ranks achieved `achieved` model FLOP/s (rank, FLOP/s): itself
    /// when none beat it, else the fastest rank's rate, so that no MFU of that step (or a later one)
    /// can pass 100%. Pure, so it is testable without timing luck.
    public func raised(step: Int, achieved: [(rank: Int, flops: Double)], now: Double) -> PeakFlops {
        guard let best = achieved.max(by: { $0.flops < $1.flops }), best.flops > flops else { return self }
        return PeakFlops(flops: best.flops, source: .raised,
                         detail: "step \(step) of rank \(best.rank) reached \(Self.gigaflops(best.flops)), above the peak of \(Self.gigaflops(flops)) (\(status(now: now)))",
                         threads: threads, measuredAt: now, raisedAtStep: step)
    }
}
