import CNcursesw
import Foundation
import Terminal
import XCTest

/// A process that crashes or exits with the screen up gives the terminal back: each case runs
/// in a forked child on a pseudo-terminal, and the parent checks the terminal afterwards.
final class RestoreOnExitTests: XCTestCase {
    private enum Ending { case crash, exit }

    /// A child that starts a screen on `pty`, draws, then ends as `ending`.
    private func runChild(_ ending: Ending, _ pty: PseudoTerminal) -> (status: Int32, written: [UInt8]) {
        pty.runChild {
            guard let screen = try? NcursesScreen(terminalType: "xterm-256color", output: pty.output,
                                                   input: pty.input, environment: [:]) else { _exit(3) }
            var frame = Buffer(width: 80, height: 24)
            frame.put("child", x: 0, y: 0)
            screen.draw(frame)
            switch ending {
            case .crash:
                let missing: Int? = Int(getenv("MESHTOP_NO_SUCH_VARIABLE").map { String(cString: $0) } ?? "")
                _exit(Int32(missing!))  // a Swift runtime trap: the fatal-signal path
            case .exit:
                exit(0)  // without restore(): the exit hook
            }
        }
    }

    func testACrashRestoresTheTerminalAndStillDiesOfTheSignal() throws {
        let pty = try PseudoTerminal(columns: 80, rows: 24)
        let cooked = pty.localFlags
        let (status, written) = runChild(.crash, pty)
        let signalNumber = status & 0x7f
        XCTAssertTrue(signalNumber == SIGILL || signalNumber == SIGTRAP, "died of signal \(signalNumber), status \(status)")
        XCTAssertTrue(written.contains("child"), written.text)
        XCTAssertTrue(written.contains("\u{1b}[?1049l"), "left the alternate screen: \(written.text)")
        XCTAssertEqual(pty.localFlags, cooked, "the line discipline is cooked again")
    }

    func testExitWithoutRestoreRestoresTheTerminal() throws {
        let pty = try PseudoTerminal(columns: 80, rows: 24)
        let cooked = pty.localFlags
        let (status, written) = runChild(.exit, pty)
        XCTAssertEqual(status, 0, "exited normally")
        XCTAssertTrue(written.contains("\u{1b}[?1049l"), "left the alternate screen: \(written.text)")
        XCTAssertEqual(pty.localFlags, cooked)
    }
}
