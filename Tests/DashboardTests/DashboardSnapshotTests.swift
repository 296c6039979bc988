import XCTest
import Dashboard
import Diagnosis
import RunSpec
import Telemetry
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

/// The hang board: the report in the loss chart's place, the ranks waited for and waiting
/// marked on the grid, the headline under it, the header saying hung.
final class HangBoardSnapshotTests: XCTestCase {
    static func stoppedRank3() -> HangReport {
        let now = Fixtures.start + 40
        func pulse(_ rank: Int, ago: Double, entered: [Int], waiting: CollectiveCall?, phase: RankPhase) -> HeartbeatReceiver.Pulse {
            var a = RankActivity(phaseSince: now - 10)
            a.phase = phase
            a.step = 25
            a.completedSteps = 24
            a.entered = entered
            a.waitingIn = waiting
            a.lastCompleted = CollectiveCall(operation: .allGather, axis: .shard, group: rank / 2, sequence: 902, bytes: 4096, startedAt: now - 15)
            var p = HeartbeatReceiver.Pulse(hello: HeartbeatHello(rank: rank, worldSize: 4, pid: Int32(4242 + rank), host: "node0"),
                                            connectedAt: 0, lastHeardAt: now - ago)
            p.latest = Heartbeat(sequence: 9, sentAt: now - ago, activity: a)
            return p
        }
        let gather = CollectiveCall(operation: .allGather, axis: .shard, group: 1, sequence: 903, bytes: 4096, startedAt: now - 14)
        let reduce = { (group: Int) in CollectiveCall(operation: .allReduce, axis: .replicate, group: group, sequence: 25, bytes: 4096, startedAt: now - 13) }
        let pulses = [0: pulse(0, ago: 0.4, entered: [70, 25, 903], waiting: reduce(0), phase: .backward),
                      1: pulse(1, ago: 0.6, entered: [70, 25, 903], waiting: reduce(1), phase: .backward),
                      2: pulse(2, ago: 0.2, entered: [70, 24, 903], waiting: gather, phase: .forward),
                      3: pulse(3, ago: 14.5, entered: [70, 24, 902], waiting: nil, phase: .forward)]
        return HangReport(mesh: try! MeshShape(replicate: 2, shard: 2), pulses: pulses, now: now, stalledFor: 15)
    }

    func testAHungRunShowsWhoWaitsForWhom() {
        var state = Fixtures.state(Fixtures.smallRun())
        state.apply(.hang(Self.stoppedRank3()))
        XCTAssertEqual(state.hang?.headline, "rank 3 (silent: stopped?) has not entered all-gather #903 on shard group 1; rank 2 waits for it since 14 s")
        assertSnapshot(render(state, width: 80, height: 24), named: "hung-80x24")
        assertSnapshot(render(state, width: 160, height: 48), named: "hung-160x48")
        state.apply(.hang(nil))
        XCTAssertNil(state.hang, "the board clears when the run moves again")
    }
}
