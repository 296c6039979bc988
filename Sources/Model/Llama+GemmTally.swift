import CKernels

/// What the dense GEMMs of the passes since `Llama.resetGemmTally` cost, lane by lane: the products
/// of the projections, the feed-forward and the output, each call timed on its lane's thread
/// (`Kernels.gemm`). The attention core is not among them, whichever kernels run it.
public struct GemmTally: Equatable, Sendable {
    /// Wall seconds each lane spent inside its GEMMs.
    public var laneSeconds: [Double]
    /// FLOPs (2mnk a call) the GEMMs of every lane executed.
    public var flops: Double

    public init(laneSeconds: [Double], flops: Double) {
        self.laneSeconds = laneSeconds
        self.flops = flops
    }

    /// The lanes' mean time in GEMMs: with the lanes on as many cores at once, the rank's GEMM rate
    /// is `flops / meanSeconds`.
    public var meanSeconds: Double { laneSeconds.isEmpty ? 0 : laneSeconds.reduce(0, +) / Double(laneSeconds.count) }
}

extension Llama {
    /// Every lane's GEMMs since the last reset.
    public var gemmTally: GemmTally {
        let tallies = UnsafeBufferPointer(start: gemmTallies, count: laneCount)
        return GemmTally(laneSeconds: tallies.map(\.seconds), flops: tallies.reduce(0) { $0 + $1.flops })
    }

    /// Starts every lane's tally again (the trainer does at the start of each step).
    public func resetGemmTally() {
        gemmTallies.update(repeating: ck_gemm_tally(seconds: 0, flops: 0), count: laneCount)
    }

    /// body() with lane `lane`'s tally as the calling thread's, restoring the one it had after.
    func tallyingGemms<T>(lane: Int, _ body: () -> T) -> T {
        let previous = ck_gemm_tally_swap(gemmTallies + lane)
        defer { ck_gemm_tally_swap(previous) }
        return body()
    }
}
