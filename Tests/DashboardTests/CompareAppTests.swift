import Compare
import Dashboard
import Foundation
import Terminal
import XCTest

/// The compare view's loop on an in-memory screen: keys change what it shows (the alignment
/// recomputes the comparison), a resize redraws at the new size, q returns and restores.
final class CompareAppTests: XCTestCase {
    private func waitUntil(_ what: String, timeout: Double = 5, _ condition: () -> Bool) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while !condition() {
            if Date() > deadline { return XCTFail("timed out waiting for \(what)") }
            usleep(5_000)
        }
    }

    func testKeysSwitchFigureAlignmentAndDifferencesAndQQuits() {
        let screen = BufferScreen(width: 100, height: 30)
        nonisolated(unsafe) let app = CompareApp(screen: screen, comparison: CompareFixtures.fiveRuns(),
                                                 themes: [.defaultDark, .monochrome], glyphs: .unicode)
        let finished = expectation(description: "run() returned")
        Thread.detachNewThread { app.run(); finished.fulfill() }
        let text = { screen.frame?.text ?? "" }
        waitUntil("the loss by step") { text().contains("Loss · by step") && text().contains("Verdicts against") }

        screen.press(.character("g"))
        waitUntil("the grad norm") { text().contains("Grad norm · by step") && !text().contains("Loss · by step") }
        screen.press(.character("g"))
        waitUntil("both") { text().contains("Grad norm · by step") && text().contains("Loss · by step") }
        screen.press(.character("a"))
        waitUntil("by tokens") { text().contains("Loss · by tokens seen") && text().contains("by tokens seen · rtol 1e-5") }
        screen.press(.character("d"))
        waitUntil("absolute differences") { text().contains("· absolute") }
        screen.press(.character("t"))
        waitUntil("the next theme") { text().contains("theme monochrome") }
        screen.press(.character("?"))
        waitUntil("the help") { text().contains("Keys (Esc closes)") }
        screen.press(.escape)
        waitUntil("the help closed") { !text().contains("Keys (Esc closes)") }
        screen.resize(width: 160, height: 48)
        waitUntil("the new size") { screen.frame?.width == 160 }

        screen.press(.character("q"))
        wait(for: [finished], timeout: 5)
        XCTAssertTrue(screen.restored)
        XCTAssertEqual(app.view.alignment, .tokens)
        XCTAssertEqual(app.comparison.alignment, .tokens)
        XCTAssertEqual(app.comparison.pairs.map(\.verdict), CompareFixtures.fiveRuns().aligned(by: .tokens).pairs.map(\.verdict))
    }
}
