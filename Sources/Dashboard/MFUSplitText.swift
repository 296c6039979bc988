import RunSpec

/// MFU's four factors (RunSpec.MFUSplit) as the dashboard writes them: the longest form that fits.
/// One decimal a percentage and three for the FLOP ratio, so that multiplying what is shown gives
/// the MFU to about 0.2 points.
enum MFUSplitText {
    static func forms(_ split: MFUSplit) -> [String] {
        let (gemm, busy, free) = (percent(split.gemmOfPeak), percent(split.inGemms), percent(split.notWaiting))
        let ratio = String(format: "%.3f", split.modelPerGemmFlop)
        return [
            "gemm \(gemm) of peak x \(busy) in gemm x \(free) not waiting x \(ratio)",
            "gemm \(gemm) x \(busy) in gemm x \(free) not waiting x \(ratio)",
            "gemm \(gemm) x in \(busy) x free \(free) x \(ratio)",
            "\(gemm) x \(busy) x \(free) x \(ratio)",
        ]
    }

    /// The longest form no wider than `width` (the shortest, to be cut, if none is).
    static func fitting(_ split: MFUSplit, width: Int) -> String {
        let all = forms(split)
        return all.first { $0.count <= width } ?? all[all.count - 1]
    }

    static func percent(_ fraction: Double) -> String { String(format: "%.1f%%", 100 * fraction) }
}
