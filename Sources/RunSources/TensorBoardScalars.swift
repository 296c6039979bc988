import Telemetry

/// The tag values of one step, as `--tensorboard` writes them (TensorBoardTags says what each
/// carries): the run's figures, and each rank's. A figure that cannot be had is left out, never
/// written as a made-up value (a percentage without the host's memory, a data share of a step
/// that took no time).
struct TensorBoardScalars {
    typealias Values = [(tag: String, value: Double)]

    var run: Values
    var ranks: [(rank: Int, values: Values)]

    /// - Parameters:
    ///   - hostMemory: each rank's host's physical bytes (the hello's), for the percentages.
    ///   - tokensSeen: every rank's tokens up to this step, when known.
    init(_ step: Telemetry.Step, hostMemory: [Int: Int], tokensSeen: Int?) {
        run = [(TensorBoardTags.loss, step.loss), (TensorBoardTags.gradNorm, step.gradNorm), (TensorBoardTags.lr, step.lr)]
        // The largest rank's own loss, when every rank sent one (older recordings did not).
        let losses = step.ranks.compactMap(\.loss)
        if !losses.isEmpty, losses.count == step.ranks.count, let max = losses.max() { run.insert((TensorBoardTags.maxLoss, max), at: 1) }
        if let tokensSeen { run.append((TensorBoardTags.tokensSeen, Double(tokensSeen))) }
        ranks = step.ranks.map { ($0.rank, Self.values(of: $0, hostMemory: hostMemory[$0.rank] ?? 0)) }
    }

    static func values(of r: RankStep, hostMemory: Int) -> Values {
        var values: Values = [(TensorBoardTags.tokensPerSecond, r.tokensPerSecond), (TensorBoardTags.tflops, r.tflops),
                              (TensorBoardTags.mfu, r.mfu), (TensorBoardTags.endToEnd, r.seconds.total),
                              (TensorBoardTags.dataLoading, r.seconds.data)]
        if r.seconds.total > 0 { values.append((TensorBoardTags.dataLoadingPercent, 100 * r.seconds.data / r.seconds.total)) }
        let active = Double(r.memory.values.reduce(0, +)), reserved = Double(r.peakResidentBytes)
        values.append((TensorBoardTags.maxActiveGiB, active / TensorBoardTags.bytesPerGiB))
        if hostMemory > 0 { values.append((TensorBoardTags.maxActivePercent, 100 * active / Double(hostMemory))) }
        values.append((TensorBoardTags.maxReservedGiB, reserved / TensorBoardTags.bytesPerGiB))
        if hostMemory > 0 { values.append((TensorBoardTags.maxReservedPercent, 100 * reserved / Double(hostMemory))) }
        return values
    }
}
