import Foundation
import XCTest
import Dashboard
import Telemetry
import Terminal

/// The picker's keys on their own (KeyMap) and in the app's loop (the command leaves, the header
/// shows the switch).
final class MeshPickerKeyTests: XCTestCase {
    private let live = KeyContext(live: true, replicate: 2, shard: 2, themeCount: 1)

    private func press(_ keys: [Key], _ context: KeyContext, view: inout ViewState) -> [DashboardCommand] {
        keys.flatMap { KeyMap.handle($0, view: &view, context: context) }
    }

    private func openView(maxWorld: Int = 4) -> ViewState {
        var view = ViewState()
        view.picker.maxWorldSize = maxWorld
        return view
    }

    func testMOpensOnTheRunningMeshAndArrowsChoose() {
        var view = openView()
        XCTAssertEqual(press([.character("m")], live, view: &view), [])
        XCTAssertEqual(view.overlay, .meshPicker)
        XCTAssertEqual(view.picker.worldSize, 4)
        XCTAssertTrue(view.picker.selectedMesh! == (2, 2), "the running mesh is chosen first")
        _ = press([.down], live, view: &view)
        XCTAssertTrue(view.picker.selectedMesh! == (1, 4))
        _ = press([.down, .down], live, view: &view)
        XCTAssertTrue(view.picker.selectedMesh! == (1, 4), "stops at the last mesh")
        _ = press([.up, .up, .up], live, view: &view)
        XCTAssertTrue(view.picker.selectedMesh! == (4, 1), "stops at the first")
        XCTAssertEqual(view.selectedRank, 0, "arrows in the picker do not move the rank selection")
        _ = press([.character("y")], live, view: &view)
        XCTAssertFalse(view.logScale, "other keys are ignored while the picker is open")
    }

    func testWorldSizeStaysWithinOneAndMaxNP() {
        var view = openView(maxWorld: 6)
        _ = press([.character("m"), .character(">")], live, view: &view)
        XCTAssertEqual(view.picker.worldSize, 5)
        XCTAssertTrue(view.picker.selectedMesh! == (5, 1), "a world without the running mesh chooses its first")
        _ = press([.character(">"), .character(">"), .character(">")], live, view: &view)
        XCTAssertEqual(view.picker.worldSize, 6, "--max-np is the top")
        XCTAssertEqual(MeshPickerView.meshes(6).map { [$0.replicate, $0.shard] }, [[6, 1], [3, 2], [2, 3], [1, 6]])
        _ = press(Array(repeating: .character("<"), count: 8), live, view: &view)
        XCTAssertEqual(view.picker.worldSize, 1, "one rank is the bottom")
        XCTAssertTrue(view.picker.selectedMesh! == (1, 1))
        _ = press([.character(">"), .character(">"), .character(">")], live, view: &view)
        XCTAssertTrue(view.picker.selectedMesh! == (2, 2), "back on the running world size, the running mesh")

        var small = openView(maxWorld: 2)
        _ = press([.character("m"), .character(">")], live, view: &small)
        XCTAssertEqual(small.picker.worldSize, 4, "a run larger than --max-np can still be kept")
    }

    func testEnterAppliesAndEscCancels() {
        var view = openView()
        XCTAssertEqual(press([.character("m"), .up, .enter], live, view: &view), [.reconfigure(replicate: 4, shard: 1)])
        XCTAssertEqual(view.overlay, .none, "Enter closes the picker")
        XCTAssertEqual(press([.character("m"), .character("<"), .down, .enter], live, view: &view),
                       [.reconfigure(replicate: 1, shard: 3)])
        XCTAssertEqual(press([.character("m"), .down, .escape], live, view: &view), [])
        XCTAssertEqual(view.overlay, .none)
        XCTAssertEqual(press([.character("m"), .character("m")], live, view: &view), [])
        XCTAssertEqual(view.overlay, .none, "m closes it too")
    }

    func testEnterDoesNothingWhereItCannotApply() {
        var view = openView()
        XCTAssertEqual(press([.character("m"), .enter], live, view: &view), [], "the running mesh")
        XCTAssertEqual(view.overlay, .meshPicker, "still open")
        XCTAssertEqual(KeyMap.pickerRefusal(view.picker, context: live), "[2, 2] is running: Enter does nothing")

        var replay = live
        replay.live = false
        XCTAssertEqual(press([.down, .enter], replay, view: &view), [])

        var switching = live
        switching.meshSwitch = .requested(replicate: 4, shard: 1)
        XCTAssertEqual(press([.enter], switching, view: &view), [])
        XCTAssertEqual(KeyMap.pickerRefusal(view.picker, context: switching), "a switch is under way: Enter does nothing")

        view.picker.candidates = [MeshCandidate(replicate: 1, shard: 4, memory: [:], residentBytes: 0, bytesSent: [:],
                                                unavailable: "4 ranks cannot keep the global batch of 6 sequences")]
        XCTAssertEqual(press([.enter], live, view: &view), [])
        XCTAssertEqual(KeyMap.pickerRefusal(view.picker, context: live), "4 ranks cannot keep the global batch of 6 sequences")
    }

    func testRRetriesOnlyAfterAFailedSwitch() {
        var view = openView()
        XCTAssertEqual(press([.character("R")], live, view: &view), [])
        var failed = live
        failed.meshSwitch = .failed(message: "rank 1 died", replicate: 2, shard: 2)
        XCTAssertEqual(press([.character("R")], failed, view: &view), [.retryPreviousMesh])
        failed.live = false
        XCTAssertEqual(press([.character("R")], failed, view: &view), [], "not once the job has ended")
    }

    func testTheAppEmitsTheSwitchAndShowsIt() {
        let screen = BufferScreen(width: 100, height: 30)
        var commands: [DashboardCommand] = []
        let lock = NSLock()
        // Runs on the thread below; this one uses only what is Sendable, or waits for it.
        nonisolated(unsafe) let app = DashboardApp(screen: screen, themes: [.defaultDark], glyphs: .unicode, live: true, maxWorldSize: 4,
                               onCommand: { command in lock.lock(); commands.append(command); lock.unlock() })
        var asked: [Int] = []
        app.planner = { hello, world in
            XCTAssertEqual(hello.mesh.worldSize, 4)
            asked.append(world)
            return world == 4 ? MeshPickerFixtures.fourRanks : []
        }
        let finished = expectation(description: "run() returned")
        Thread.detachNewThread { app.run(); finished.fulfill() }
        for input in MeshPickerFixtures.twoMeshRun().prefix(13) { app.feed.push(input) }  // (2, 2) to step 12
        waitUntil("step 12") { screen.frame?.text.contains("step 12/40") ?? false }

        screen.press(.character("m"))
        waitUntil("the picker with the planner's marks") { screen.frame?.text.contains("[1, 4]   M") ?? false }
        screen.press(.down)
        screen.press(.enter)
        waitUntil("the request") { lock.lock(); defer { lock.unlock() }; return commands == [.reconfigure(replicate: 1, shard: 4)] }
        waitUntil("the header") {
            guard let text = screen.frame?.text else { return false }
            return text.contains("switching to [1, 4]") && text.contains("checkpointing") && !text.contains("Mesh picker")
        }
        app.feed.requestExit()
        wait(for: [finished], timeout: 5)
        XCTAssertTrue(asked.allSatisfy { $0 == 4 }, "only the shown world size and the used ones: \(asked)")
    }

    private func waitUntil(_ what: String, timeout: Double = 5, _ condition: () -> Bool) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while !condition() {
            if Date() > deadline { return XCTFail("timed out waiting for \(what)") }
            usleep(5_000)
        }
    }
}
