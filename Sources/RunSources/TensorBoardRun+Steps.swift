import Foundation
import RunSpec
import Telemetry

/// The steps of a TensorBoard log. A step is a step the loss (`loss_metrics/global_avg_loss`) was
/// written at, taken from the top level, else from the first rank folder that has it. Each rank
/// with a figure at that step gets a `RankStep` (rank folders when there are any, else the top
/// level as one rank). What no tag says keeps a neutral value, never a made-up one:
/// - grad norm and learning rate without their tags: NaN (so no comparison is made on them);
/// - a rank's missing figures, its communication, memory categories and resident bytes: 0 or empty;
/// - its tokens: `tps x end_to_end(s)` (tokens per second times seconds per step), rounded,
///   when both are written, else 0;
/// - its peak resident bytes: `memory/max_reserved(GiB)` in bytes (float32's rounding).
/// The hello is meshtop's own `meshtop/hello` text where `--tensorboard` wrote one, else none.
extension TensorBoardRun {
    static func assemble(path: String, top: TensorBoardSeries, ranks: [(rank: Int, series: TensorBoardSeries)],
                         topRank: Int) throws -> LoadedRun {
        let all = [top] + ranks.map(\.series)
        var skipped = all.flatMap(\.skipped)
        guard let run = all.first(where: { $0.values[TensorBoardTags.loss] != nil }) else {
            let damage = skipped.isEmpty ? "" : " (\(skipped.count) damaged record(s), the first: \(skipped[0]))"
            throw InputError("\(path): no step in its event files: no \(TensorBoardTags.loss) scalar\(damage)")
        }
        let figures: [(rank: Int, series: TensorBoardSeries)] = ranks.isEmpty ? [(topRank, top)] : ranks
        let lossSteps = run.values[TensorBoardTags.loss] ?? [:]
        let lrTag = run.lrTag
        var hellos = all.flatMap(\.hellos).sorted { $0.step < $1.step }[...]
        var records: [TelemetryRecord] = []
        for stepNumber in lossSteps.keys.sorted() {
            while let hello = hellos.first, hello.step <= stepNumber { records.append(hello.record); hellos.removeFirst() }
            let step = Telemetry.Step(
                step: stepNumber, loss: lossSteps[stepNumber]!,
                gradNorm: run.value(TensorBoardTags.gradNorm, stepNumber) ?? .nan,
                lr: lrTag.flatMap { run.value($0, stepNumber) } ?? .nan,
                ranks: figures.filter { $0.series.hasRankFigures(stepNumber) }.map { rankStep($0.rank, $0.series, stepNumber) })
            records.append(TelemetryRecord(time: run.times[stepNumber] ?? 0, event: .step(step)))
        }
        records += hellos.map(\.record)
        let unstepped = all.reduce(into: Set<Int>()) { $0.formUnion($1.allSteps) }.subtracting(lossSteps.keys)
        if !unstepped.isEmpty {
            skipped.append("\(path): \(unstepped.count) step(s) with figures but no \(TensorBoardTags.loss): not read as steps")
        }
        return LoadedRun(path: path, source: .tensorboard, records: records, skipped: skipped)
    }

    static func rankStep(_ rank: Int, _ s: TensorBoardSeries, _ step: Int) -> RankStep {
        let tps = s.value(TensorBoardTags.tokensPerSecond, step), seconds = s.value(TensorBoardTags.endToEnd, step)
        var tokens = 0
        if let tps, let seconds, tps.isFinite, seconds.isFinite, tps > 0, seconds > 0, tps * seconds < Double(Int.max) {
            tokens = Int((tps * seconds).rounded())
        }
        let reserved = s.value(TensorBoardTags.maxReservedGiB, step).map { $0 * TensorBoardTags.bytesPerGiB }
        return RankStep(rank: rank, tokens: tokens,
                        seconds: StepSeconds(total: seconds ?? 0, data: s.value(TensorBoardTags.dataLoading, step) ?? 0),
                        tokensPerSecond: tps ?? 0, tflops: s.value(TensorBoardTags.tflops, step) ?? 0,
                        mfu: s.value(TensorBoardTags.mfu, step) ?? 0, communication: [:], memory: [:], residentBytes: 0,
                        peakResidentBytes: reserved.flatMap { $0.isFinite && $0 >= 0 && $0 < Double(Int.max) ? Int($0.rounded()) : nil } ?? 0)
    }
}
