import FrontendCLI
import Telemetry
import XCTest

/// `meshtop replay --summary`'s MFU line names the newest peak and its age at the run's end.
final class ReplaySummaryTests: XCTestCase {
    func hello(_ peak: PeakInfo) -> Event {
        .hello(Hello(config: RunConfig(steps: 2, seqLen: 256, localBatchSize: 8, globalBatchSize: 8, gradAccum: 1, warmupSteps: 2,
                                       lr: 8e-4, maxNorm: 1, seed: 0, threads: 1, dataPath: "d", tokenizerPath: "t"),
                     mesh: MeshLayout(replicate: 1, shard: 1, strategy: "single"),
                     model: ModelSummary(flavor: "debugmodel", dim: 256, nLayers: 6, nHeads: 16, nKVHeads: 16, vocabSize: 2000,
                                         parameters: 6_139_136),
                     flopsPerToken: 1, peak: peak, ranks: []))
    }

    func step(_ n: Int, mfu: Double, peak: PeakInfo? = nil) -> Event {
        .step(Step(step: n, loss: 8, gradNorm: 1, lr: 1e-4, ranks: [
            RankStep(rank: 0, tokens: 2048, seconds: StepSeconds(total: 1), tokensPerSecond: 2048, tflops: 0.08, mfu: mfu,
                     communication: [:], memory: [:], residentBytes: 0, peakResidentBytes: 0),
        ], peak: peak))
    }

    func testTheMFULineNamesTheNewestPeak() {
        let cached = PeakInfo(flops: 8.96e10, source: "cached", detail: "", measuredAt: 1000)
        let kept = ReplaySummary([TelemetryRecord(time: 8200, event: hello(cached)),
                                  TelemetryRecord(time: 8201, event: step(1, mfu: 80))])
        XCTAssertTrue(kept.lines(file: "r").contains("mean mfu: 80.00% of 89.6 GF/s (cached 2h ago)"), "\(kept.lines(file: "r"))")
        let raised = PeakInfo(flops: 9.5e10, source: "raised", detail: "", measuredAt: 8202, raisedAtStep: 2)
        let after = ReplaySummary([TelemetryRecord(time: 8200, event: hello(cached)),
                                   TelemetryRecord(time: 8201, event: step(1, mfu: 80)),
                                   TelemetryRecord(time: 8202, event: step(2, mfu: 100, peak: raised))])
        XCTAssertTrue(after.lines(file: "r").contains("mean mfu: 90.00% of 95.0 GF/s (raised at step 2)"), "\(after.lines(file: "r"))")
    }

    /// A run that resumed after a failure or a switch recorded some steps twice: they count once.
    func testStepsRedoneAfterAResumeCountOnce() {
        let peak = PeakInfo(flops: 8.96e10, source: "given", detail: "")
        let records = [hello(peak), step(1, mfu: 80), step(2, mfu: 80), step(2, mfu: 80)]
            .enumerated().map { TelemetryRecord(time: Double($0.offset), event: $0.element) }
        let lines = ReplaySummary(records).lines(file: "r")
        XCTAssertTrue(lines.contains("steps: 2 of 2 (1 redone after a resume)"), "\(lines)")
        let plain = ReplaySummary(Array(records.prefix(3))).lines(file: "r")
        XCTAssertTrue(plain.contains("steps: 2 of 2"), "\(plain)")
    }
}
