import Compare
import Telemetry
import XCTest

/// Curves from a run's events: tokens seen, resumed steps, meshes, labels.
final class RunCurveTests: XCTestCase {
    func testTokensSeenAreEveryRanksTokensSummedOverTheSteps() {
        var curve = RunCurve(name: "a.jsonl")
        curve.add(Curves.step(1, loss: 8, tokens: [100, 100, 100, 100]))
        curve.add(Curves.step(2, loss: 7, tokens: [100, 100, 100, 100]))
        curve.add(Curves.step(3, loss: 6, tokens: [50, 50]))
        XCTAssertEqual(curve.points.map(\.tokens), [400, 800, 900])
        XCTAssertEqual(curve.points.map(\.loss), [8, 7, 6])
    }

    func testARepeatedStepReplacesEverythingFromItOn() {
        var curve = RunCurve(name: "a.jsonl")
        for n in 1 ... 5 { curve.add(Curves.step(n, loss: Double(10 - n))) }
        curve.add(Curves.step(3, loss: 1.5))  // resumed from the checkpoint of step 2
        curve.add(Curves.step(4, loss: 1.25))
        XCTAssertEqual(curve.points.map(\.step), [1, 2, 3, 4])
        XCTAssertEqual(curve.points.map(\.loss), [9, 8, 1.5, 1.25])
        XCTAssertEqual(curve.points.map(\.tokens), [256, 512, 768, 1024])
    }

    func testARunStartingLaterCountsTheStepsBeforeAtItsFirstStepsTokens() {
        var curve = RunCurve(name: "resumed.jsonl")
        curve.add(Curves.step(11, loss: 5))
        curve.add(Curves.step(12, loss: 4.9))
        XCTAssertEqual(curve.points.map(\.tokens), [11 * 256, 12 * 256])
    }

    func testAStepWithoutRankFiguresHasNoTokenCountNorDoesAnyAfterIt() {
        var curve = RunCurve(name: "a.jsonl")
        curve.add(Curves.step(1, loss: 8))
        curve.add(Curves.step(2, loss: 7, tokens: []))
        curve.add(Curves.step(3, loss: 6))
        XCTAssertEqual(curve.points.map(\.tokens), [256, nil, nil])
    }

    func testMeshesComeFromTheHellosAndLabelTheRun() {
        let hello = { (mesh: MeshLayout) in
            TelemetryRecord(time: 0, event: .hello(Hello(
                config: RunConfig(steps: 2, seqLen: 32, localBatchSize: 8, globalBatchSize: 32, gradAccum: 1, warmupSteps: 1,
                                  lr: 1e-3, maxNorm: 1, seed: 0, threads: 1, dataPath: "d", tokenizerPath: "t"),
                mesh: mesh, model: ModelSummary(flavor: "tiny", dim: 1, nLayers: 1, nHeads: 1, nKVHeads: 1, vocabSize: 1, parameters: 1),
                flopsPerToken: 1, peak: PeakInfo(flops: 1, source: "given", detail: ""), ranks: [])))
        }
        let records = [hello(Curves.hsdp22), TelemetryRecord(time: 1, event: .step(Curves.step(1, loss: 8))),
                       hello(Curves.replicate4), hello(Curves.replicate4), TelemetryRecord(time: 2, event: .step(Curves.step(2, loss: 7)))]
        let curve = RunCurve(name: "switched.jsonl", records: records)
        XCTAssertEqual(curve.meshes, [Curves.hsdp22, Curves.replicate4])
        XCTAssertEqual(curve.label, "[2, 2] hsdp -> [4, 1] replicate")
        XCTAssertEqual(curve.points.count, 2)
        XCTAssertEqual(RunCurve(name: "bare.jsonl", records: Array(records[1 ... 1])).label, "bare.jsonl")
    }

    func testLabelsThatWouldBeSharedAreToldApartByFileNameThenPlace() {
        let runs = RunLabels.disambiguated([
            Curves.curve("seed0.jsonl", mesh: Curves.hsdp22, loss: [1]),
            Curves.curve("seed1.jsonl", mesh: Curves.hsdp22, loss: [1]),
            Curves.curve("run.jsonl", mesh: Curves.replicate4, loss: [1]),
            Curves.curve("x/run.jsonl", loss: [1]),
            Curves.curve("y/run.jsonl", loss: [1]),
        ].map { var c = $0; c.name = RunLabels.name(ofPath: c.name); return c })
        XCTAssertEqual(runs.map(\.label), ["[2, 2] hsdp (seed0.jsonl)", "[2, 2] hsdp (seed1.jsonl)", "[4, 1] replicate",
                                           "run.jsonl #4", "run.jsonl #5"])
    }
}
