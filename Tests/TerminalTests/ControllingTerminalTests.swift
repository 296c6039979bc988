import Foundation
import Terminal
import XCTest

/// `NcursesScreen()` as the dashboard starts it: on the controlling terminal (/dev/tty), with a
/// resize that arrives as a real SIGWINCH from the kernel. The child process makes the
/// pseudo-terminal its controlling terminal (a new session), so this runs without a real one.
final class ControllingTerminalTests: XCTestCase {
    func testScreenOnDevTtySeesAResizeFromTheKernel() throws {
        let pty = try PseudoTerminal(columns: 80, rows: 24)
        var resized = false
        let (status, written) = pty.runChild(watch: { written in
            if !resized, written.contains("ready") {
                resized = true
                pty.resize(columns: 100, rows: 30)  // the kernel signals the terminal's foreground group
            }
        }) {
            setsid()
            guard open(pty.path, O_RDWR) >= 0 else { _exit(4) }  // now the controlling terminal
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
            guard let screen = try? NcursesScreen(terminalType: "xterm-256color") else { _exit(5) }
            // ncurses catches default SIGINT/SIGTERM in its first newterm of a process; the
            // launcher owns them, so the screen must leave them alone.
            guard Self.isDefault(SIGINT), Self.isDefault(SIGTERM) else { _exit(7) }
            var frame = Buffer(width: screen.width, height: screen.height)
            frame.put("ready \(screen.width)x\(screen.height)", x: 0, y: 0)
            screen.draw(frame)
            guard screen.readKey(timeout: 10) == .resize else { _exit(6) }
            frame = Buffer(width: screen.width, height: screen.height)
            frame.put("resized \(screen.width)x\(screen.height)", x: 0, y: 0)
            screen.draw(frame)
            screen.restore()
            _exit(0)
        }
        XCTAssertTrue(resized, "the child never drew: \(written.text)")
        XCTAssertEqual(status, 0, "child exit status \(status >> 8) (4: open, 5: screen, 6: no resize key, 7: SIGINT/SIGTERM taken)")
        XCTAssertTrue(written.contains("ready 80x24"), written.text)
        XCTAssertTrue(written.contains("resized 100x30"), written.text)
        XCTAssertTrue(written.contains("\u{1b}[?1049l"), "restored: \(written.text)")
    }

    private static func isDefault(_ signalNumber: Int32) -> Bool {
        var action = sigaction()
        sigaction(signalNumber, nil, &action)
        return action.__sigaction_handler.sa_handler == nil  // SIG_DFL is 0
    }
}
