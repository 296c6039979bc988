import XCTest
import Dashboard
import Terminal

/// Every panel rendered from recorded events at 80x24 and 160x48, compared with stored text.
final class DashboardSnapshotTests: XCTestCase {
    func testSmallRun() {
        let state = Fixtures.state(Fixtures.smallRun())
        assertSnapshot(render(state, width: 80, height: 24), named: "small-80x24")
        assertSnapshot(render(state, width: 160, height: 48), named: "small-160x48")
    }

    func testBigMeshFoldsIntoAHeatMap() {
        var view = ViewState()
        view.selectedRank = 200
        let state = Fixtures.state(Fixtures.bigMesh())
        assertSnapshot(render(state, view, width: 80, height: 24), named: "mesh512-80x24")
        assertSnapshot(render(state, view, width: 160, height: 48), named: "mesh512-160x48")
    }

    func testResumedRunOnAnotherMesh() {
        let state = Fixtures.state(Fixtures.resumedRun())
        assertSnapshot(render(state, width: 80, height: 24), named: "resume-80x24")
        var view = ViewState()
        view.showGradNorm = true
        view.logScale = true
        assertSnapshot(render(state, view, width: 160, height: 48), named: "resume-160x48-gradnorm-log")
    }

    func testOverlays() {
        let state = Fixtures.state(Fixtures.smallRun())
        var view = ViewState()
        view.overlay = .help
        assertSnapshot(render(state, view, width: 80, height: 24), named: "help-80x24")
        view.overlay = .details
        view.selectedRank = 3
        assertSnapshot(render(state, view, width: 80, height: 24), named: "details-80x24")
        view.overlay = .quitConfirm
        assertSnapshot(render(state, view, width: 80, height: 24), named: "quit-80x24")
    }

    func testZoomAndNoSmoothing() {
        let state = Fixtures.state(Fixtures.smallRun())
        var view = ViewState()
        view.zoom = 50
        view.smoothing = 0
        view.focus = .loss
        assertSnapshot(render(state, view, width: 160, height: 48), named: "small-160x48-zoom-raw")
    }

    func testAsciiMode() {
        let state = Fixtures.state(Fixtures.smallRun())
        let buffer = render(state, width: 80, height: 24, glyphs: .ascii)
        assertSnapshot(buffer, named: "small-80x24-ascii")
    }

    func testTooSmall() {
        let state = Fixtures.state(Fixtures.smallRun())
        assertSnapshot(render(state, width: 70, height: 20), named: "too-small-70x20")
    }

    func testBeforeTheFirstEvent() {
        assertSnapshot(render(DashboardState(), width: 80, height: 24), named: "empty-80x24")
    }
}
