import CNcursesw
import Foundation
import XCTest
import Dashboard
import Terminal

/// DashboardApp on the real ncurses backend, on a pseudo-terminal: what it writes is read on
/// the other side, keys are typed there, a resize is announced with SIGWINCH as a kernel would.
final class DashboardTerminalTests: XCTestCase {
    func testDrawsTakesKeysResizesAndGivesTheTerminalBack() throws {
        let master = posix_openpt(O_RDWR | O_NOCTTY)
        guard master >= 0, grantpt(master) == 0, unlockpt(master) == 0, let name = ptsname(master) else {
            throw XCTSkip("no pseudo-terminals here")
        }
        let slave = open(name, O_RDWR | O_NOCTTY)
        XCTAssertGreaterThanOrEqual(slave, 0)
        defer { close(master) }
        _ = mt_set_window_size(slave, 30, 100)
        let output = fdopen(slave, "w")!, input = fdopen(dup(slave), "r")!
        defer { fclose(output); fclose(input) }

        let written = Written()
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(master, &chunk, chunk.count)
                if count <= 0 { break }
                written.append(chunk[0 ..< count])
            }
        }
        func waitFor(_ text: String, after mark: Int = 0) {
            let deadline = Date(timeIntervalSinceNow: 10)
            while !written.contains(text, after: mark) {
                if Date() > deadline { return XCTFail("never written: \(text)") }
                usleep(10_000)
            }
        }
        func type(_ text: String) { _ = text.utf8CString.withUnsafeBufferPointer { write(master, $0.baseAddress, text.utf8.count) } }

        var screen: NcursesScreen? = try NcursesScreen(terminalType: "xterm-256color", output: output, input: input, environment: [:])
        // Runs on the thread below; this one uses only what is Sendable, or waits for it.
        nonisolated(unsafe) let app = DashboardApp(screen: screen!, themes: [.defaultDark], glyphs: .unicode, live: false)
        for input in Fixtures.smallRun() { app.feed.push(input) }
        let finished = expectation(description: "run() returned")
        Thread.detachNewThread { app.run(); finished.fulfill() }

        waitFor("step 24/40")
        var mark = written.count
        type("?")
        waitFor("Keys (Esc closes)", after: mark)
        type("\u{1b}")
        // 30 rows show the last 3 log lines; 40 rows show 5, from "step: 21".
        XCTAssertFalse(written.contains("step: 21"))
        mark = written.count
        _ = mt_set_window_size(slave, 40, 120)
        kill(getpid(), SIGWINCH)
        waitFor("step: 21", after: mark)

        mark = written.count
        type("q")
        wait(for: [finished], timeout: 10)
        waitFor("\u{1b}[?1049l", after: mark)  // xterm's rmcup: out of the alternate screen
        var settings = termios()
        tcgetattr(slave, &settings)
        XCTAssertNotEqual(settings.c_lflag & tcflag_t(ICANON), 0, "line mode is back")
        XCTAssertNotEqual(settings.c_lflag & tcflag_t(ECHO), 0, "echo is back")
        screen = nil
    }
}

/// What the terminal received, appended by the reading thread.
private final class Written: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []

    var count: Int { lock.lock(); defer { lock.unlock() }; return bytes.count }

    func append(_ chunk: ArraySlice<UInt8>) { lock.lock(); bytes += chunk; lock.unlock() }

    func contains(_ text: String, after mark: Int = 0) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let needle = Array(text.utf8)
        guard bytes.count - mark >= needle.count else { return false }
        return (mark ... bytes.count - needle.count).contains { bytes[$0 ..< $0 + needle.count].elementsEqual(needle) }
    }
}
