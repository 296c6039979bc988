import XCTest
import Dashboard
import Terminal

final class KeyMapTests: XCTestCase {
    private let live = KeyContext(live: true, replicate: 2, shard: 3, themeCount: 5)
    private let replay = KeyContext(live: false, replicate: 2, shard: 3, themeCount: 5)

    private func press(_ keys: [Key], _ context: KeyContext, view: inout ViewState) -> [DashboardCommand] {
        keys.flatMap { KeyMap.handle($0, view: &view, context: context) }
    }

    func testQuitOnALiveRunAsksFirst() {
        var view = ViewState()
        XCTAssertEqual(press([.character("q")], live, view: &view), [])
        XCTAssertEqual(view.overlay, .quitConfirm)
        XCTAssertEqual(press([.character("n")], live, view: &view), [])
        XCTAssertEqual(view.overlay, .none)
        XCTAssertEqual(press([.character("q"), .escape], live, view: &view), [])
        XCTAssertEqual(view.overlay, .none)
        XCTAssertFalse(view.logScale, "Esc in the question does not reach other keys")
        XCTAssertEqual(press([.character("q"), .character("p"), .character("y")], live, view: &view), [.control(.stop)],
                       "other keys are ignored while asking; y stops the run")
        XCTAssertTrue(view.stopping)
        XCTAssertFalse(view.logScale, "y answered the question, it did not toggle the log scale")
        XCTAssertEqual(press([.character("q")], live, view: &view), [.quit], "q while stopping quits at once")
    }

    func testQuitOnAReplayQuitsAtOnce() {
        var view = ViewState()
        XCTAssertEqual(press([.character("q")], replay, view: &view), [.quit])
    }

    func testRunCommands() {
        var view = ViewState()
        XCTAssertEqual(press([.character("p")], live, view: &view), [.control(.pause)])
        var paused = live
        paused.paused = true
        XCTAssertEqual(press([.character("p")], paused, view: &view), [.control(.resume)])
        XCTAssertEqual(press([.character("c")], live, view: &view), [.control(.checkpoint)])
        XCTAssertEqual(press([.character("p"), .character("c")], replay, view: &view), [], "a replay has no run to command")
    }

    func testViewKeys() {
        var view = ViewState()
        _ = press([.character("t"), .character("t")], live, view: &view)
        XCTAssertEqual(view.themeIndex, 2)
        _ = press(Array(repeating: .character("t"), count: 3), live, view: &view)
        XCTAssertEqual(view.themeIndex, 0, "t cycles")
        _ = press([.character("s")], live, view: &view)
        XCTAssertEqual(view.smoothing, 0.8)
        _ = press([.character("S"), .character("S"), .character("S"), .character("S")], live, view: &view)
        XCTAssertEqual(view.smoothing, 0)
        _ = press([.character("y")], live, view: &view)
        XCTAssertTrue(view.logScale)
        _ = press([.character("+"), .character("+")], live, view: &view)
        XCTAssertEqual(view.zoom, 1_000)
        _ = press([.character("-"), .character("-"), .character("-")], live, view: &view)
        XCTAssertNil(view.zoom, "- stops at the whole run")
        _ = press([.character("?")], live, view: &view)
        XCTAssertEqual(view.overlay, .help)
        _ = press([.escape], live, view: &view)
        XCTAssertEqual(view.overlay, .none)
        _ = press([.enter], live, view: &view)
        XCTAssertEqual(view.overlay, .details)
        _ = press([.tab, .tab], live, view: &view)
        XCTAssertEqual(view.focus, .log)
    }

    func testArrowsAndHjklMoveAcrossTheMesh() {
        var view = ViewState()  // (2, 3): rank = r * 3 + s
        _ = press([.right, .character("l")], live, view: &view)
        XCTAssertEqual(view.selectedRank, 2)
        _ = press([.character("l")], live, view: &view)
        XCTAssertEqual(view.selectedRank, 2, "stops at the last shard")
        _ = press([.down, .character("j")], live, view: &view)
        XCTAssertEqual(view.selectedRank, 5, "stops at the last replica")
        _ = press([.character("h"), .up, .left], live, view: &view)
        XCTAssertEqual(view.selectedRank, 0)
        view.focus = .log
        _ = press([.up, .up], live, view: &view)
        XCTAssertEqual(view.logScroll, 2, "the focused log pane scrolls")
        XCTAssertEqual(view.selectedRank, 0)
    }
}
