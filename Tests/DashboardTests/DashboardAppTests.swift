import Foundation
import XCTest
import Dashboard
import Telemetry
import Terminal

/// The loop on an in-memory screen: inputs pushed from another thread show up, keys act,
/// resizes redraw at once, a confirmed quit stops the run and returns once it ended.
final class DashboardAppTests: XCTestCase {
    private func waitUntil(_ what: String, timeout: Double = 5, _ condition: () -> Bool) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while !condition() {
            if Date() > deadline { return XCTFail("timed out waiting for \(what)") }
            usleep(5_000)
        }
    }

    func testFollowsARunAndQuitsAfterItStops() {
        let screen = BufferScreen(width: 100, height: 30)
        var commands: [DashboardCommand] = []
        let lock = NSLock()
        // Runs on the thread below; this one uses only what is Sendable, or waits for it.
        nonisolated(unsafe) let app = DashboardApp(screen: screen, themes: [.defaultDark, Theme(name: "mono", colors: [:], monochrome: true)],
                               glyphs: .unicode, live: true) { command in lock.lock(); commands.append(command); lock.unlock() }
        let finished = expectation(description: "run() returned")
        Thread.detachNewThread { app.run(); finished.fulfill() }

        for input in Fixtures.smallRun().prefix(8) { app.feed.push(input) }
        waitUntil("step 3 on screen") { screen.frame?.text.contains("step 3/40") ?? false }

        screen.press(.character("?"))
        waitUntil("help") { screen.frame?.text.contains("Keys (Esc closes)") ?? false }
        screen.press(.escape)
        screen.press(.character("t"))
        waitUntil("help closed, theme mono") {
            guard let text = screen.frame?.text else { return false }
            return !text.contains("Keys (Esc closes)") && text.contains("theme mono")
        }

        screen.resize(width: 120, height: 40)
        waitUntil("the new size drawn") { screen.frame?.width == 120 && screen.frame?.height == 40 }

        screen.press(.character("q"))
        waitUntil("the question") { screen.frame?.text.contains("Stop the run and quit?") ?? false }
        screen.press(.character("y"))
        waitUntil("the stop command") { lock.lock(); defer { lock.unlock() }; return commands == [.control(.stop)] }
        XCTAssertFalse(screen.restored, "still running until the job ends")
        app.feed.push(.ended(status: 0))
        wait(for: [finished], timeout: 5)
        XCTAssertEqual(commands, [.control(.stop), .quit])
        XCTAssertTrue(screen.restored, "the terminal is given back")
    }

    func testRedrawsAtMostEveryFrameInterval() {
        let screen = BufferScreen(width: 80, height: 24)
        // Runs on the thread below; this one uses only what is Sendable, or waits for it.
        nonisolated(unsafe) let app = DashboardApp(screen: screen, themes: [.defaultDark], glyphs: .unicode, live: false)
        let finished = expectation(description: "run() returned")
        Thread.detachNewThread { app.run(); finished.fulfill() }
        // 200 steps pushed over ~1 s: far more changes than frames.
        let started = Date()
        app.feed.push(Fixtures.hello(replicate: 2, shard: 2, steps: 200, time: 0))
        for n in 1 ... 200 {
            app.feed.push(Fixtures.step(n, world: 4, shard: 2, time: Double(n)))
            usleep(5_000)
        }
        waitUntil("the last step") { screen.frame?.text.contains("step 200/200") ?? false }
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertLessThanOrEqual(Double(screen.draws), elapsed / 0.1 + 2, "\(screen.draws) frames in \(elapsed) s")
        XCTAssertGreaterThan(screen.draws, 2)
        let draws = screen.draws
        usleep(300_000)
        XCTAssertEqual(screen.draws, draws, "nothing changed, nothing drawn (a replay has no clock)")
        screen.press(.character("q"))
        wait(for: [finished], timeout: 5)
    }

    func testPauseResumeAndCheckpointShowAtOnce() {
        let screen = BufferScreen(width: 80, height: 24)
        var commands: [DashboardCommand] = []
        let lock = NSLock()
        // Runs on the thread below; this one uses only what is Sendable, or waits for it.
        nonisolated(unsafe) let app = DashboardApp(screen: screen, themes: [.defaultDark], glyphs: .unicode, live: true) { command in
            lock.lock(); commands.append(command); lock.unlock()
        }
        let finished = expectation(description: "run() returned")
        Thread.detachNewThread { app.run(); finished.fulfill() }
        for input in Fixtures.smallRun().prefix(6) { app.feed.push(input) }
        func phaseShown(_ phase: String) -> () -> Bool {
            { (screen.frame?.lines.first ?? "").hasSuffix(phase + " ") }
        }
        waitUntil("running", phaseShown("running"))
        screen.press(.character("p"))
        waitUntil("paused", phaseShown("paused"))
        screen.press(.character("p"))
        waitUntil("running again", phaseShown("running"))
        screen.press(.character("c"))
        waitUntil("checkpointing", phaseShown("checkpointing"))
        app.feed.push(Fixtures.record(Fixtures.start + 9, .checkpoint(Checkpoint(step: 2, path: "c", bytes: 1, seconds: 0.1))))
        waitUntil("running after the checkpoint", phaseShown("running"))
        app.feed.requestExit()
        wait(for: [finished], timeout: 5)
        XCTAssertEqual(commands, [.control(.pause), .control(.resume), .control(.checkpoint)])
    }

    func testRequestExitReturns() {
        let screen = BufferScreen(width: 80, height: 24)
        // Runs on the thread below; this one uses only what is Sendable, or waits for it.
        nonisolated(unsafe) let app = DashboardApp(screen: screen, themes: [], glyphs: .ascii, live: true)
        let finished = expectation(description: "run() returned")
        Thread.detachNewThread { app.run(); finished.fulfill() }
        waitUntil("the first frame") { screen.draws > 0 }
        app.feed.requestExit()
        wait(for: [finished], timeout: 5)
        XCTAssertTrue(screen.restored)
    }
}
