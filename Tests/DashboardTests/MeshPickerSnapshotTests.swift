import XCTest
import Dashboard
import Telemetry
import Terminal

/// The picker and the switch's header lines drawn from recorded events and fixed candidates.
/// Snapshots/meshpicker-*.txt; re-record with MESHTOP_RECORD_SNAPSHOTS=1 and review by eye.
final class MeshPickerSnapshotTests: XCTestCase {
    func testPickerAfterASwitchAt80x24() {
        let state = MeshPickerFixtures.state()
        let view = MeshPickerFixtures.view(worldSize: 4, selected: 2, candidates: MeshPickerFixtures.fourRanks)
        let frame = render(state, view, width: 80, height: 24)
        assertSnapshot(frame, named: "meshpicker-80x24")
        let text = frame.text
        XCTAssertTrue(text.contains("Enter: switch to [1, 4]"), "the chosen mesh applies")
        XCTAssertEqual(text.components(separatedBy: "measured").count - 1, 2 + 1,
                       "one measured row under each used mesh (and the legend's word)")
    }

    func testPickerAfterASwitchAt160x48() {
        let state = MeshPickerFixtures.state()
        let view = MeshPickerFixtures.view(worldSize: 4, selected: 0, candidates: MeshPickerFixtures.fourRanks)
        let frame = render(state, view, width: 160, height: 48)
        assertSnapshot(frame, named: "meshpicker-160x48")
        XCTAssertTrue(frame.text.contains("[4, 1] is running: Enter does nothing"))
        XCTAssertTrue(frame.text.contains("tok/s"), "at 160 columns every column fits")
    }

    func testPickerOnAnotherWorldSizeKeepsTheUsedMeshesInView() {
        let state = MeshPickerFixtures.state()
        let view = MeshPickerFixtures.view(worldSize: 2, selected: 1,
                                           candidates: MeshPickerFixtures.twoRanks + MeshPickerFixtures.fourRanks)
        let frame = render(state, view, width: 80, height: 24, glyphs: .ascii)
        assertSnapshot(frame, named: "meshpicker-2ranks-80x24-ascii")
        XCTAssertTrue(frame.text.contains("used at other world sizes"))
    }

    func testManyMeshesScrollToTheChoiceWithoutPredictions() {
        let state = MeshPickerFixtures.state()
        let meshes = MeshPickerView.meshes(60)
        XCTAssertEqual(meshes.count, 12)
        var view = MeshPickerFixtures.view(worldSize: 60, selected: meshes.count - 1, candidates: [])
        view.picker.maxWorldSize = 64
        let frame = render(state, view, width: 80, height: 24)
        assertSnapshot(frame, named: "meshpicker-60ranks-80x24")
        let text = frame.text
        XCTAssertTrue(text.contains("▶ [1, 60]"), "the last mesh is scrolled into view:\n\(text)")
        XCTAssertFalse(text.contains("[60, 1]"), "the first is scrolled out")
        XCTAssertTrue(text.contains(" mesh ") && text.contains("Enter: switch to [1, 60]"), "the header and keys stay")
        XCTAssertTrue(text.contains("no prediction"), "without a planner the rows say so")
    }

    func testHeaderShowsTheSwitchAndItsFailure() {
        var state = MeshPickerFixtures.state()
        assertSnapshot(render(state, width: 80, height: 24), named: "meshpicker-switched-80x24")
        XCTAssertTrue(render(state, width: 80, height: 24).text.contains("switched to [4, 1] in 2.4s"))

        state.apply(.switchRequested(replicate: 1, shard: 4))
        state.apply(.phase(.checkpointing))
        let during = render(state, width: 80, height: 24).text
        XCTAssertTrue(during.contains("switching to [1, 4]") && during.contains("checkpointing"), during)

        state.apply(.switchFailed("rank 2 exited with status 1 while resharding"))
        let failed = render(state, width: 100, height: 30)
        assertSnapshot(failed, named: "meshpicker-failed-100x30")
        XCTAssertTrue(failed.text.contains("R retries on [4, 1]"), "the retry goes back to the mesh that ran")
    }
}
