import Dashboard
import Terminal
import XCTest

/// The one key table: each key does one thing, each action has a key and a line in the help,
/// and the footer only names keys the table has.
final class KeyBindingsTests: XCTestCase {
    func testNoKeyIsBoundTwice() {
        let keys = KeyBindings.all.flatMap { $0.keys.map(\.key) }
        XCTAssertEqual(Set(keys).count, keys.count, "\(keys)")
    }

    func testEveryActionHasAKeyAndAHelpLine() {
        let bound = Set(KeyBindings.all.flatMap { $0.keys.map(\.action) })
        XCTAssertEqual(bound, Set(KeyAction.allCases))
        XCTAssertTrue(KeyBindings.all.allSatisfy { !$0.label.isEmpty && !$0.help.isEmpty })
    }

    func testAReplaysFooterLeavesOutWhatOnlyALiveRunDoes() {
        let live = KeyBindings.footer(live: true).map(\.label), replay = KeyBindings.footer(live: false).map(\.label)
        XCTAssertEqual(live, ["q", "p", "c", "?", "t", "s/S", "y", "+/-", "Enter", "Tab"])
        XCTAssertEqual(replay, ["q", "?", "t", "s/S", "y", "+/-", "Enter", "Tab"])
    }

    func testALiveOnlyKeyDoesNothingInAReplay() {
        var view = ViewState()
        let replay = KeyContext(live: false, replicate: 2, shard: 1, themeCount: 1)
        for key in [Key.character("p"), .character("c"), .character("R")] {
            XCTAssertEqual(KeyMap.handle(key, view: &view, context: replay), [], "\(key)")
        }
        let live = KeyContext(live: true, replicate: 2, shard: 1, themeCount: 1)
        XCTAssertEqual(KeyMap.handle(.character("c"), view: &view, context: live), [.control(.checkpoint)])
    }
}
