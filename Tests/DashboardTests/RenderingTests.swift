import XCTest
import Dashboard
import Telemetry
import Terminal

/// Exact assertions on rendered frames where a text snapshot is weak: styles of the selection
/// and its groups, ASCII mode, monochrome, the too-small message.
final class RenderingTests: XCTestCase {
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
