import XCTest
import Dashboard
import Telemetry
import Terminal

/// The reducer: resume without zig-zag, mesh changes, marks, logs, phases, throughput; and the smoothing.
final class DashboardStateTests: XCTestCase {
    func testResumeContinuesOneCurve() {
        let state = Fixtures.state(Fixtures.resumedRun())
        XCTAssertEqual(state.loss.steps, Array(1 ... 30), "steps strictly increasing, each once")
        // Steps 13-16 came twice: the resumed run's values replace the first run's.
        XCTAssertEqual(state.loss.values[12], Fixtures.loss(13, offset: 0.01))
        XCTAssertEqual(state.loss.values[11], Fixtures.loss(12), "before the resume point the first run's value stays")
        XCTAssertEqual(state.checkpoints, [12])
        XCTAssertEqual(state.meshChanges.count, 1)
        XCTAssertEqual(state.meshChanges[0].afterStep, 12, "the mark sits before the first step on the new mesh")
        XCTAssertEqual(state.meshChanges[0].from, MeshLayout(replicate: 2, shard: 2, strategy: "hsdp"))
        XCTAssertEqual(state.mesh, MeshLayout(replicate: 4, shard: 1, strategy: "replicate"))
        XCTAssertEqual(state.phase, .running, "a hello after relaunching means running again")
    }

    func testARecordedHelloGivesTheBytesAcrossHosts() {
        guard case .record(let record) = Fixtures.hello(replicate: 2, shard: 4, steps: 4, time: Fixtures.start),
              case .hello(var hello) = record.event else { return XCTFail("the fixture is a hello") }
        var state = DashboardState()
        state.apply(.record(TelemetryRecord(time: record.time, event: .hello(hello))))
        XCTAssertNil(state.interHostBytes, "rank 0's own hello says nothing of it")
        hello.predictedInterHostBytesPerStep = 2_800_000
        state.apply(.record(TelemetryRecord(time: record.time, event: .hello(hello))))
        XCTAssertEqual(state.interHostBytes, 2_800_000)
    }

    func testAStepThatRaisedThePeakIsShownWithIt() {
        var inputs = Fixtures.smallRun()
        let before = Fixtures.state(inputs)
        XCTAssertEqual(before.peak?.source, "cached")
        XCTAssertTrue(render(before, width: 160, height: 48).text.contains("of 89.6 GF/s (cached 2h ago)"))
        guard case var .record(record) = Fixtures.step(25, world: 4, shard: 2, time: Fixtures.start + 31),
              case var .step(step) = record.event else { return XCTFail("not a step") }
        step.peak = PeakInfo(flops: 9.5e10, source: "raised", detail: "step 25 of rank 0 reached 95.0 GF/s",
                             measuredAt: record.time, raisedAtStep: 25)
        record.event = .step(step)
        inputs.append(.record(record))
        let after = Fixtures.state(inputs)
        XCTAssertEqual(after.peak, step.peak)
        XCTAssertEqual(after.hello?.peak.source, "cached", "the hello stays as it came")
        XCTAssertTrue(render(after, width: 160, height: 48).text.contains("of 95.0 GF/s (raised at step 25)"))
    }

    func testSeriesTruncatesFromARepeatedStep() {
        var series = StepSeries()
        for step in [1, 2, 3, 4, 5] { series.record(step: step, value: Double(step)) }
        series.record(step: 3, value: 30)
        XCTAssertEqual(series.steps, [1, 2, 3])
        XCTAssertEqual(series.values, [1, 2, 30])
        series.record(step: 7, value: 70)
        XCTAssertEqual(series.steps, [1, 2, 3, 7])
        XCTAssertEqual(series.firstIndex(atOrAfter: 4), 3)
        XCTAssertEqual(series.firstIndex(atOrAfter: 8), 4)
    }

    func testLogKeepsRankZeroAndEveryWarning() {
        let state = Fixtures.state(Fixtures.smallRun())
        XCTAssertFalse(state.log.entries.contains { $0.text.contains("rank 1, not shown") })
        XCTAssertEqual(state.log.warnings, 1)
        XCTAssertEqual(state.log.entries.last { $0.kind == .warning }?.rank, 3)
        XCTAssertEqual(state.log.entries.first?.kind, .launcher)
    }

    func testPhasesFollowTheRun() {
        var state = DashboardState()
        XCTAssertEqual(state.phase, .starting)
        state.apply(Fixtures.hello(replicate: 1, shard: 1, steps: 3, time: 0))
        XCTAssertEqual(state.phase, .running)
        state.apply(.phase(.paused))
        XCTAssertEqual(state.phase, .paused)
        state.apply(Fixtures.record(1, .done(Done(status: 0, reason: "completed", summary: RunSummary(steps: 3, tokens: 0, seconds: 1)))))
        XCTAssertEqual(state.phase, .finished)
        state.apply(.ended(status: 0))
        XCTAssertEqual(state.phase, .finished)
        XCTAssertTrue(state.hasEnded)
        var failed = DashboardState()
        failed.apply(.ended(status: 134))
        XCTAssertEqual(failed.phase, .failed)
    }

    func testThroughputAggregatesEveryRank() {
        let state = Fixtures.state(Array(Fixtures.smallRun().prefix(6)))  // launcher, hello, log, step 1, log, step 2
        let ranks = (0 ..< 4).map { Fixtures.rankStep($0, step: 2, shard: 2) }
        XCTAssertEqual(state.throughput.tokensPerSecond.last!, ranks.map(\.tokensPerSecond).reduce(0, +), accuracy: 1e-9)
        XCTAssertEqual(state.throughput.mfu.last!, ranks.map(\.mfu).reduce(0, +) / 4, accuracy: 1e-9)
        XCTAssertEqual(state.throughput.stepSeconds.last!, ranks.map(\.seconds.total).max()!)
        XCTAssertEqual(state.throughput.mfu.values.count, 2)
    }

    func testSmoothingIsTensorBoardsDebiasedEMA() {
        let values = [4.0, 2.0, 8.0, .nan, 1.0]
        let w = 0.6
        // TensorBoard: last = last * w + (1 - w) * v; smoothed = last / (1 - w^n), n the finite points so far.
        let l1 = 0.4 * 4.0, l2 = l1 * w + 0.4 * 2.0, l3 = l2 * w + 0.4 * 8.0, l4 = l3 * w + 0.4 * 1.0
        let expected = [l1 / (1 - w), l2 / (1 - w * w), l3 / (1 - pow(w, 3)), .nan, l4 / (1 - pow(w, 4))]
        let got = Smoothing.debiasedEMA(values, weight: w)
        XCTAssertEqual(got[0], 4.0, accuracy: 1e-12, "the first point is itself (debiased)")
        for i in [0, 1, 2, 4] { XCTAssertEqual(got[i], expected[i], accuracy: 1e-12) }
        XCTAssertTrue(got[3].isNaN)
        XCTAssertEqual(Smoothing.debiasedEMA(values, weight: 0).filter(\.isFinite), [4, 2, 8, 1])
    }
}
