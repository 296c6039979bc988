import XCTest
import Dashboard
import Telemetry

/// What the state keeps for the picker: each used mesh's latest figures, across mesh changes,
/// and the switch's outcome.
final class MeshPickerStateTests: XCTestCase {
    func testKeepsTheLatestFiguresOfEveryUsedMesh() {
        let state = MeshPickerFixtures.state()
        XCTAssertEqual(state.usedMeshes.map { [$0.replicate, $0.shard, $0.step] }, [[2, 2, 12], [4, 1, 20]])
        let first = try! XCTUnwrap(state.measurement(2, 2))
        let ranks = (0 ..< 4).map { Fixtures.rankStep($0, step: 12, shard: 2) }
        XCTAssertEqual(first.memory["parameters"], 24_556_544 / 2)
        XCTAssertEqual(first.residentBytes, ranks.map(\.residentBytes).max(), "the worst rank")
        XCTAssertEqual(first.stepSeconds, ranks.map(\.seconds.total).max())
        XCTAssertEqual(first.tokensPerSecond, ranks.map(\.tokensPerSecond).reduce(0, +), accuracy: 1e-9)
        XCTAssertEqual(first.bytesSent, ["all_gather": 36_000_000, "reduce_scatter": 18_000_000])
        XCTAssertEqual(state.measurement(4, 1)?.bytesSent, ["all_reduce": 24_556_544])
        XCTAssertNil(state.measurement(1, 4))
        XCTAssertEqual(state.meshChanges.map(\.afterStep), [12], "the loss chart marks the change")
        XCTAssertEqual(state.meshSwitch, .switched(replicate: 4, shard: 1, seconds: 2.4))
        XCTAssertEqual(state.phase, .running, "the new mesh's first step ends resharding")
    }

    func testARefusedRequestLeavesTheRunAsItWas() {
        var state = MeshPickerFixtures.state()
        state.apply(.switchRequested(replicate: 1, shard: 4))
        state.apply(.phase(.checkpointing))
        state.apply(.switchRefused("switching meshes needs --checkpoint-dir"))
        XCTAssertEqual(state.meshSwitch, .refused(message: "switching meshes needs --checkpoint-dir"))
        XCTAssertEqual(state.phase, .running)
        XCTAssertEqual(state.log.entries.last?.text, "mesh switch refused: switching meshes needs --checkpoint-dir")
        var view = ViewState()
        let context = KeyContext(live: true, replicate: 4, shard: 1, themeCount: 1, meshSwitch: state.meshSwitch)
        XCTAssertEqual(KeyMap.handle(.character("R"), view: &view, context: context), [], "nothing to retry")
        XCTAssertEqual(KeyMap.handle(.character("m"), view: &view, context: context), [])
        XCTAssertEqual(KeyMap.handle(.up, view: &view, context: context), [])
        XCTAssertEqual(KeyMap.handle(.enter, view: &view, context: context), [], "(4, 1) runs")
        XCTAssertEqual(KeyMap.handle(.down, view: &view, context: context), [])
        XCTAssertEqual(KeyMap.handle(.enter, view: &view, context: context), [.reconfigure(replicate: 2, shard: 2)],
                       "a refusal does not block the next request")
    }

    func testAFailureNamesTheOldMeshAndARetryClearsIt() {
        var state = MeshPickerFixtures.state()
        state.apply(.switchRequested(replicate: 1, shard: 4))
        state.apply(.switchFailed("mpirun exited with status 1"))
        XCTAssertEqual(state.meshSwitch, .failed(message: "mpirun exited with status 1", replicate: 4, shard: 1))
        XCTAssertEqual(state.log.entries.last?.text, "mesh switch failed: mpirun exited with status 1")
        XCTAssertEqual(state.log.errors, 1)
        state.apply(Fixtures.hello(replicate: 4, shard: 1, steps: 40, time: Fixtures.start + 40))
        XCTAssertNil(state.meshSwitch, "the relaunch on the old mesh came up")
    }
}
