import Foundation
import Launcher
import Telemetry
import XCTest

/// The supervisor's teardown as a value: each test plays the loop's turns (clock, signals, what
/// it saw of the ranks) and checks the exact actions and lines, with no process and no mpirun.
final class TeardownTests: XCTestCase {
    private typealias Action = Teardown.Action
    private let rank1 = RankIdentity(rank: 1, host: "node", pid: 4242)
    private let asked = "asked the ranks to stop at the end of the step; killing them in 10 s (again to kill now)"

    func testAFirstSignalWithASessionAsksRank0ToStopAndGivesTheGrace() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        XCTAssertEqual(teardown.step(.tick(signals: 1), now: 100), [.sendStop])
        XCTAssertEqual(teardown.step(.stopSent(true), now: 100), [.say(asked)])
        XCTAssertEqual(teardown.phase, .stopping(deadline: 110, asked: true))
        XCTAssertTrue(teardown.stopRequested)
        XCTAssertEqual(turn(&teardown, at: 109.99), [], "nothing is killed within the grace")
    }

    func testASecondSignalKillsAtOnceAndNothingFollowsTheKill() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        XCTAssertEqual(turn(&teardown, at: 100, signals: 1, stopReaches: true), [.sendStop, .say(asked)])
        XCTAssertEqual(turn(&teardown, at: 103, signals: 1), [.say("killing the job"), .signalJob(SIGKILL)])
        XCTAssertEqual(teardown.phase, .killed)
        XCTAssertEqual(turn(&teardown, at: 110) + turn(&teardown, at: 115), [], "no SIGTERM when the grace would have ended")
    }

    func testTwoSignalsInOneTurnKillWithoutAsking() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        XCTAssertEqual(turn(&teardown, at: 100, signals: 2), [.say("killing the job"), .signalJob(SIGKILL)])
        XCTAssertTrue(teardown.stopRequested)
    }

    func testTheGracePassingTerminatesAndKillsTwoSecondsLater() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        _ = turn(&teardown, at: 100, signals: 1, stopReaches: true)
        XCTAssertEqual(turn(&teardown, at: 110), [.say("the ranks did not stop within 10 s: terminating them"), .signalJob(SIGTERM)])
        XCTAssertEqual(teardown.phase, .terminating(killAt: 112))
        XCTAssertEqual(turn(&teardown, at: 111.99), [])
        XCTAssertEqual(turn(&teardown, at: 112), [.signalJob(SIGKILL)])
        XCTAssertEqual(turn(&teardown, at: 120), [], "SIGKILL is sent once")
        XCTAssertEqual(teardown.outcome(mpirun: 137, doneStatus: nil, heardHello: true, stderr: ["x"]).status, 137)
    }

    func testWithoutASessionTheJobStopsAtOnceAndASignalThenKills() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        XCTAssertEqual(turn(&teardown, at: 100, signals: 1, stopReaches: false),
                       [.sendStop, .say("stopping the job (no telemetry session to ask)"), .signalJob(SIGTERM)],
                       "SIGTERM in the same turn, with no line about a grace")
        XCTAssertEqual(turn(&teardown, at: 100.3, signals: 1), [.say("killing the job"), .signalJob(SIGKILL)])
        XCTAssertEqual(turn(&teardown, at: 102), [], "the kill at 102 was the signal's")
    }

    func testALostRankEndsItsPeersAndIsReportedAsTornDownWhenMpirunDoesNotEndTheJob() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        XCTAssertEqual(turn(&teardown, at: 100, world: .init(lost: .process(rank1))), [.killRanks(sparing: [4242])])
        XCTAssertEqual(teardown.lost, .process(rank1))
        XCTAssertEqual(teardown.phase, .stopping(deadline: 102, asked: false))
        XCTAssertEqual(turn(&teardown, at: 101, world: .init(lost: .process(rank1))), [], "reported once")
        XCTAssertEqual(turn(&teardown, at: 102), [.signalJob(SIGTERM)], "no line about a grace nobody was given")
        XCTAssertEqual(turn(&teardown, at: 104), [.signalJob(SIGKILL)])
        let outcome = teardown.outcome(mpirun: 137, doneStatus: nil, heardHello: true, stderr: ["rank 1: out of luck", "bye"])
        XCTAssertEqual(outcome.status, 137)
        XCTAssertEqual(outcome.lines, [
            "rank 1 (host node, pid 4242) ended (mpirun did not end the job within 2 s; how the rank ended is unknown) before the run finished; the job was torn down",
            "  mpirun stderr: rank 1: out of luck", "  mpirun stderr: bye",
        ])
    }

    func testALostRankSaysHowMpirunEndedWhenItEndedTheJobItself() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        _ = turn(&teardown, at: 100, world: .init(lost: .process(rank1)))
        let tail = " before the run finished; the job was torn down"
        let cases: [(Int32, String, Int32)] = [
            (137, "killed by signal 9 (SIGKILL)", 137), (128 + 40, "killed by signal 40", 168),
            (5, "exited with status 5", 5), (0, "ended (how is unknown)", 1),
        ]
        for (mpirun, how, status) in cases {
            let outcome = teardown.outcome(mpirun: mpirun, doneStatus: nil, heardHello: true, stderr: [])
            XCTAssertEqual(outcome.lines, ["rank 1 (host node, pid 4242) \(how)" + tail])
            XCTAssertEqual(outcome.status, status, "a lost rank never ends well")
        }
    }

    func testALostRankDuringTheGraceShortensItSilently() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        _ = turn(&teardown, at: 100, signals: 1, stopReaches: true)
        XCTAssertEqual(turn(&teardown, at: 101, world: .init(lost: .process(rank1))), [.killRanks(sparing: [4242])])
        XCTAssertEqual(turn(&teardown, at: 103), [.signalJob(SIGTERM)])
    }

    func testASignalAfterALostRankKillsAtOnce() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        _ = turn(&teardown, at: 100, world: .init(lost: .process(rank1)))
        XCTAssertEqual(turn(&teardown, at: 100.5, signals: 1), [.say("killing the job"), .signalJob(SIGKILL)])
        XCTAssertTrue(teardown.stopRequested)
    }

    func testRanksAreLookedAtEveryIntervalAndNotAfterDone() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        XCTAssertTrue(teardown.looks(now: 100, doneStatus: nil).lost)
        _ = turn(&teardown, at: 100)
        XCTAssertFalse(teardown.looks(now: 100.4, doneStatus: nil).lost)
        XCTAssertEqual(turn(&teardown, at: 100.4, world: .init(lost: .process(rank1))), [], "not looked at before the interval")
        XCTAssertFalse(teardown.looks(now: 100.5, doneStatus: 0).lost, "after done, a rank that ended is no loss")
        XCTAssertEqual(turn(&teardown, at: 100.5, world: .init(doneStatus: 0, lost: .process(rank1))), [])
        XCTAssertEqual(teardown.step(.looked(.init(doneStatus: 0, lost: .process(rank1))), now: 101), [], "even when told")
        XCTAssertNil(teardown.lost)
    }

    func testAJobThatCompletesIsNeverKilled() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        var actions = [Action]()
        for now in stride(from: 100.0, to: 105, by: 0.05) {
            actions += turn(&teardown, at: now, world: .init(doneStatus: now < 102 ? nil : 0, ranksEnded: now >= 103))
        }
        XCTAssertEqual(actions, [])
        XCTAssertEqual(teardown.phase, .running)
        XCTAssertFalse(teardown.stopRequested)
        XCTAssertTrue(teardown.outcome(mpirun: 0, doneStatus: 0, heardHello: true, stderr: ["x"]) == (0, []))
    }

    func testMpirunLingeringAfterAFailingDoneIsCutShortAndTheStatusIsRank0s() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        XCTAssertEqual(turn(&teardown, at: 99.99, world: .init(doneStatus: 3, ranksEnded: false)), [], "a rank still runs")
        XCTAssertEqual(turn(&teardown, at: 100, world: .init(doneStatus: 3, ranksEnded: true)), [])
        XCTAssertEqual(teardown.lingering, 100)
        XCTAssertEqual(turn(&teardown, at: 100.04, world: .init(doneStatus: 3, ranksEnded: true)), [], "0.05 s to end by itself")
        XCTAssertEqual(turn(&teardown, at: 100.06, world: .init(doneStatus: 3, ranksEnded: true)), [.killMpirun])
        XCTAssertEqual(teardown.phase, .cutShort)
        XCTAssertEqual(turn(&teardown, at: 100.1, world: .init(doneStatus: 3, ranksEnded: true)), [])
        XCTAssertTrue(teardown.outcome(mpirun: 137, doneStatus: 3, heardHello: true, stderr: []) == (3, []))
    }

    func testTheStatusWithoutATeardown() {
        let teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        XCTAssertEqual(teardown.outcome(mpirun: 0, doneStatus: 2, heardHello: true, stderr: []).status, 2, "rank 0's failure")
        XCTAssertEqual(teardown.outcome(mpirun: 0, doneStatus: nil, heardHello: true, stderr: []).status, 1, "no done after a hello")
        XCTAssertEqual(teardown.outcome(mpirun: 0, doneStatus: nil, heardHello: false, stderr: []).status, 0, "not followed")
        XCTAssertEqual(teardown.outcome(mpirun: 137, doneStatus: 3, heardHello: true, stderr: []).status, 137, "not cut short")
    }

    /// A quit after rank 0's done said 0 (the dashboard's q on a finished run, before mpirun's exit):
    /// nothing is stopped or killed, so the finished run keeps its status 0; a second signal kills.
    func testASignalAfterACompletedRunWaitsForMpirunAndKeepsStatusZero() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        let completed = Teardown.Seen(doneStatus: 0)
        XCTAssertEqual(turn(&teardown, at: 100, signals: 1, world: completed),
                       [.say("the run has finished; waiting for mpirun to exit (again to kill now)")])
        XCTAssertEqual(teardown.phase, .running)
        XCTAssertEqual(turn(&teardown, at: 130, world: completed), [], "no deadline: mpirun ends a finished run itself")
        XCTAssertEqual(teardown.outcome(mpirun: 0, doneStatus: 0, heardHello: true, stderr: []).status, 0)
        XCTAssertEqual(turn(&teardown, at: 131, signals: 1, world: completed), [.say("killing the job"), .signalJob(SIGKILL)])
    }

    /// A done that said failure is still a run to end as before: the signal asks rank 0 to stop.
    func testASignalAfterAFailedDoneStillStops() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        XCTAssertEqual(teardown.step(.tick(signals: 1, doneStatus: 1), now: 100), [.sendStop])
    }

    /// As it is today: a signal after a kill that no stop preceded asks rank 0 again; the kill stands.
    func testASignalAfterAKillWithoutAStopAsksAgainAndTheKillStands() {
        var teardown = Teardown(stopGrace: 10, livenessInterval: 0.5)
        _ = turn(&teardown, at: 100, signals: 2)
        XCTAssertEqual(turn(&teardown, at: 100.05, signals: 1, stopReaches: true), [.sendStop, .say(asked)])
        XCTAssertEqual(teardown.phase, .killed)
        XCTAssertEqual(turn(&teardown, at: 100.1, signals: 1), [.say("killing the job"), .signalJob(SIGKILL)])
        XCTAssertEqual(turn(&teardown, at: 111), [])
    }

    /// One turn of the supervisor's loop: signals, the answer to `stop` if it is sent, then what
    /// `looks` asks for out of `world` (the rest unseen, as the loop leaves it unread).
    private func turn(_ teardown: inout Teardown, at now: Double, signals: Int = 0, stopReaches: Bool? = nil,
                      world: Teardown.Seen = .init(), file: StaticString = #filePath, line: UInt = #line) -> [Action] {
        var actions = teardown.step(.tick(signals: signals, doneStatus: world.doneStatus), now: now)
        if actions.contains(.sendStop) {
            guard let stopReaches else { XCTFail("stop sent unexpectedly", file: file, line: line); return actions }
            actions += teardown.step(.stopSent(stopReaches), now: now)
        }
        let looks = teardown.looks(now: now, doneStatus: world.doneStatus)
        let seen = Teardown.Seen(doneStatus: world.doneStatus, lost: looks.lost ? world.lost : nil,
                                 ranksEnded: looks.ranksEnded && world.ranksEnded)
        return actions + teardown.step(.looked(seen), now: now)
    }
}
