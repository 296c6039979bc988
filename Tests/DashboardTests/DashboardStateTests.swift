import XCTest
import Dashboard
import Telemetry
import Terminal

/// The reducer: resume without zig-zag, mesh changes, marks, logs, phases; and the smoothing.
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

    func testMeshGroups() {
        // (2, 3): rank 4 sits at replica 1, shard 1.
        XCTAssertEqual(MeshGroups.replicateGroup(ofRank: 4, replicate: 2, shard: 3), [1, 4])
        XCTAssertEqual(MeshGroups.shardGroup(ofRank: 4, replicate: 2, shard: 3), [3, 4, 5])
    }

    func testSelectionHighlightsItsGroupsOnTheGrid() {
        var inputs = [Fixtures.hello(replicate: 3, shard: 3, steps: 10, time: 0)]
        inputs.append(Fixtures.step(1, world: 9, shard: 3, time: 1))
        let state = Fixtures.state(inputs)
        var view = ViewState()
        view.selectedRank = 4
        let theme = Theme.defaultDark
        let buffer = render(state, view, width: 160, height: 48, theme: theme)
        // Each cell starts with " r<rank> "; read its style there.
        var styles: [Int: Style] = [:]
        for y in 0 ..< buffer.height {
            let line = buffer.lines[y]
            for rank in 0 ..< 9 {
                if let range = line.range(of: " r\(rank) node") {
                    styles[rank] = buffer[line.distance(from: line.startIndex, to: range.lowerBound) + 1, y].style
                }
            }
        }
        XCTAssertEqual(styles.count, 9, "every rank's cell found")
        XCTAssertEqual(styles[4], theme.selected)
        for rank in [1, 7, 3, 5] { XCTAssertEqual(styles[rank], theme.style(.highlight, [.bold]), "rank \(rank)") }
        for rank in [0, 2, 6, 8] { XCTAssertEqual(styles[rank], theme.text, "rank \(rank)") }
    }

    func testSelectionHighlightsItsGroupsOnTheHeatMap() {
        var view = ViewState()
        view.selectedRank = 200  // (8, 64): replica 3, shard 8
        let theme = Theme.defaultDark
        let buffer = render(Fixtures.state(Fixtures.bigMesh()), view, width: 160, height: 48, theme: theme)
        let top = buffer.lines.firstIndex { $0.contains("Mesh [8, 64]") }!
        // The heat map's rows: "r0 " ... "r7 " after the legend, one row per replica (64 shards fit).
        var selected: [(Int, Int)] = [], grouped: [(Int, Int)] = []
        for r in 0 ..< 8 {
            let y = top + 2 + r
            XCTAssertTrue(buffer.lines[y].hasPrefix("│r\(r) "), buffer.lines[y])
            for s in 0 ..< 64 {
                let style = buffer[4 + s, y].style
                if style == theme.selected { selected.append((r, s)) }
                if style.background == theme[.selectedBackground] && style != theme.selected { grouped.append((r, s)) }
            }
        }
        XCTAssertEqual(selected.map { "\($0)" }, ["(3, 8)"])
        XCTAssertEqual(grouped.count, 63 + 7, "its row (shard group) and its column (replicate group)")
        XCTAssertTrue(grouped.allSatisfy { $0.0 == 3 || $0.1 == 8 })
    }

    func testAsciiModeDrawsOnlyAscii() {
        for inputs in [Fixtures.smallRun(), Fixtures.bigMesh(), Fixtures.resumedRun()] {
            var view = ViewState()
            view.showGradNorm = true
            view.showLR = true
            for overlay in [ViewState.Overlay.none, .help, .details, .quitConfirm] {
                view.overlay = overlay
                let buffer = render(Fixtures.state(inputs), view, width: 160, height: 48, glyphs: .ascii)
                let bad = buffer.cells.first { !$0.scalar.isASCII }
                XCTAssertNil(bad, "non-ASCII \(bad.map { String($0.scalar) } ?? "") with overlay \(overlay)")
            }
        }
    }

    func testMonochromeDrawsWithAttributesOnly() {
        let mono = Theme(name: "monochrome", colors: [:], monochrome: true)
        for inputs in [Fixtures.smallRun(), Fixtures.bigMesh()] {
            var view = ViewState()
            view.showGradNorm = true
            view.selectedRank = 3
            let buffer = render(Fixtures.state(inputs), view, width: 160, height: 48, theme: mono)
            let coloured = buffer.cells.filter { $0.style.foreground != .default || $0.style.background != .default }
            XCTAssertEqual(coloured.count, 0)
            XCTAssertTrue(buffer.cells.contains { $0.style.attributes.contains(.reverse) }, "the selection shows in reverse")
        }
    }

    func testTooSmallSaysTheSizeItNeeds() {
        let text = render(DashboardState(), width: 79, height: 30).text
        XCTAssertTrue(text.contains("Width = 79 Height = 30"), text)
        XCTAssertTrue(text.contains("Width = 80 Height = 24"), text)
        XCTAssertFalse(render(DashboardState(), width: 80, height: 24).text.contains("too small"))
    }
}
