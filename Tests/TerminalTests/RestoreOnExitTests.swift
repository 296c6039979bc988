import CNcursesw
import Foundation
import Terminal
import XCTest

/// A process that crashes or exits with the screen up gives the terminal back: each case runs
/// in a forked child on a pseudo-terminal, and the parent checks the terminal afterwards.
final class RestoreOnExitTests: XCTestCase {
    private enum Ending { case crash, exit }

    /// Runs a child that starts a screen, draws, then ends as `ending`; returns its wait status
    /// and what it wrote.
    private func runChild(_ ending: Ending, _ pty: PseudoTerminal) throws -> (status: Int32, written: [UInt8]) {
        fflush(nil)
        let pid = fork()
        if pid == 0 {
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
        XCTAssertGreaterThan(pid, 0, "fork failed")
        var written: [UInt8] = []
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(20)
        while waitpid(pid, &status, WNOHANG) == 0 {
            written += pty.drain(quietMilliseconds: 20)
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                XCTFail("the child did not end")
                break
            }
        }
        written += pty.drain()
        return (status, written)
    }

    func testACrashRestoresTheTerminalAndStillDiesOfTheSignal() throws {
        let pty = try PseudoTerminal(columns: 80, rows: 24)
        let cooked = pty.localFlags
        let (status, written) = try runChild(.crash, pty)
        let signalNumber = status & 0x7f
        XCTAssertTrue(signalNumber == SIGILL || signalNumber == SIGTRAP, "died of signal \(signalNumber), status \(status)")
        XCTAssertTrue(written.contains("child"), written.text)
        XCTAssertTrue(written.contains("\u{1b}[?1049l"), "left the alternate screen: \(written.text)")
        XCTAssertEqual(pty.localFlags, cooked, "the line discipline is cooked again")
    }

    func testExitWithoutRestoreRestoresTheTerminal() throws {
        let pty = try PseudoTerminal(columns: 80, rows: 24)
        let cooked = pty.localFlags
        let (status, written) = try runChild(.exit, pty)
        XCTAssertEqual(status, 0, "exited normally")
        XCTAssertTrue(written.contains("\u{1b}[?1049l"), "left the alternate screen: \(written.text)")
        XCTAssertEqual(pty.localFlags, cooked)
    }
}
