import CNcursesw
import Foundation
import Terminal
import XCTest

/// The ncurses backend on a real pseudo-terminal (xterm-256color): what it writes, what it
/// reads back as keys, and that it gives the terminal back.
final class NcursesScreenTests: XCTestCase {
    private func makeScreen(_ pty: PseudoTerminal, environment: [String: String] = [:]) throws -> NcursesScreen {
        do {
            return try NcursesScreen(terminalType: "xterm-256color", output: pty.output, input: pty.input,
                                     environment: environment)
        } catch {
            throw XCTSkip("xterm-256color is not available: \(error)")
        }
    }

    private func sampleFrame(width: Int, height: Int) -> Buffer {
        var frame = Buffer(width: width, height: height)
        frame.put("hello", x: 2, y: 1, style: Style(foreground: .rgb(255, 0, 0), attributes: [.bold]))
        frame.put("mesh ⣿⡇ ╭─╮", x: 2, y: 3, style: Style(foreground: .rgb(0x5f, 0x87, 0xaf), background: .indexed(236)))
        frame.put("bottom", x: 0, y: height - 1)
        return frame
    }

    func testDrawWritesTheFrameThenOnlyWhatChanged() throws {
        let pty = try PseudoTerminal(columns: 80, rows: 24)
        let screen = try makeScreen(pty)
        XCTAssertEqual([screen.width, screen.height], [80, 24])
        XCTAssertEqual(screen.colorDepth, .indexed256)
        XCTAssertFalse(screen.truecolor)

        var frame = sampleFrame(width: 80, height: 24)
        screen.draw(frame)
        let first = pty.drain()
        XCTAssertTrue(first.contains("hello"), first.text)
        XCTAssertTrue(first.contains("⣿⡇ ╭─╮"), "braille and box drawing as UTF-8: \(first.text)")
        XCTAssertTrue(first.contains("38;5;196"), "red as the nearest of 256: \(first.text)")
        XCTAssertTrue(first.contains("38;5;67"), "a cube colour as its own index: \(first.text)")
        XCTAssertTrue(first.contains("48;5;236"), "an indexed background: \(first.text)")

        screen.draw(frame)
        let again = pty.drain()
        XCTAssertLessThanOrEqual(again.count, 8, "an unchanged frame writes (almost) nothing: \(again.text)")

        frame.set(40, 10, "x", .plain)
        screen.draw(frame)
        let oneCell = pty.drain()
        XCTAssertTrue(oneCell.contains("x"))
        XCTAssertLessThan(oneCell.count, 40, "one changed cell: a cursor move and the cell: \(oneCell.text)")
        XCTAssertGreaterThan(first.count, 5 * oneCell.count)
        print("bytes written: first frame \(first.count), identical frame \(again.count), one cell \(oneCell.count)")
    }

    func testTruecolorRedefinesPaletteEntriesWithTheExactValue() throws {
        let pty = try PseudoTerminal(columns: 80, rows: 24)
        let screen = try makeScreen(pty, environment: ["COLORTERM": "truecolor"])
        XCTAssertEqual(screen.colorDepth, .redefinable)
        XCTAssertTrue(screen.truecolor)
        var frame = Buffer(width: 80, height: 24)
        frame.put("exact", x: 0, y: 0, style: Style(foreground: .rgb(0x12, 0x34, 0x56)))
        frame.put("other", x: 0, y: 1, style: Style(foreground: .rgb(0x07, 0xfe, 0x81)))
        screen.draw(frame)
        let written = pty.drain()
        XCTAssertTrue(written.contains("\u{1b}]4;16;rgb:12/34/56"), written.text)
        XCTAssertTrue(written.contains("\u{1b}]4;17;rgb:07/FE/81"), written.text)
        XCTAssertTrue(written.contains("38;5;16"), written.text)
        screen.restore()
        let restoring = pty.drain()
        XCTAssertTrue(restoring.contains("\u{1b}]104\u{07}"), "the palette is reset on the way out: \(restoring.text)")
    }

    func testKeysAreDecodedFromTheTerminalsInput() throws {
        let pty = try PseudoTerminal(columns: 80, rows: 24)
        let screen = try makeScreen(pty)
        screen.draw(Buffer(width: 80, height: 24))  // keypad mode is sent with the first refresh
        _ = pty.drain()
        // The bytes this terminal's keys send, as terminfo has them.
        func capability(_ name: String) -> [UInt8] {
            guard let value = tigetstr(name), Int(bitPattern: value) != -1 else { return [] }
            return Array(String(cString: value).utf8)
        }
        let cases: [([UInt8], Key)] = [
            (capability("kcuu1"), .up), (capability("kcud1"), .down), (capability("kcub1"), .left),
            (capability("kcuf1"), .right), (capability("kpp"), .pageUp), (capability("knp"), .pageDown),
            (capability("khome"), .home), (capability("kend"), .end), (capability("kcbt"), .backTab),
            (capability("kf1"), .function(1)), (capability("kf5"), .function(5)), (capability("kf12"), .function(12)),
            ([13], .enter), ([9], .tab), ([127], .backspace), (Array("q".utf8), .character("q")),
            (Array("é".utf8), .character("é")), (Array("⣿".utf8), .character("⣿")),
        ]
        for (bytes, expected) in cases {
            XCTAssertFalse(bytes.isEmpty, "no terminfo string for \(expected)")
            pty.type(bytes)
            XCTAssertEqual(screen.readKey(timeout: 2), expected, "bytes \(bytes)")
        }
        // A lone Esc arrives once the short escape delay has passed, not after a second.
        let start = Date()
        pty.type([27])
        XCTAssertEqual(screen.readKey(timeout: 2), .escape)
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
        // A control character meshtop does not use is skipped; the key after it comes through.
        pty.type([1] + Array("w".utf8))
        XCTAssertEqual(screen.readKey(timeout: 2), .character("w"))
        XCTAssertNil(screen.readKey(timeout: 0.05), "nothing typed: the timeout")
    }

    func testResizeIsAKeyAndTheNextDrawRepaintsEverything() throws {
        let pty = try PseudoTerminal(columns: 80, rows: 24)
        let screen = try makeScreen(pty)
        let frame = sampleFrame(width: 80, height: 24)
        screen.draw(frame)
        _ = pty.drain()
        pty.resize(columns: 100, rows: 30)
        raise(SIGWINCH)  // what the terminal's foreground process would receive
        let start = Date()
        XCTAssertEqual(screen.readKey(timeout: 2), .resize)
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5, "a resize is reported at once")
        XCTAssertEqual([screen.width, screen.height], [100, 30])
        screen.draw(sampleFrame(width: 100, height: 30))
        let repaint = pty.drain()
        XCTAssertTrue(repaint.contains("hello") && repaint.contains("bottom"), "a full repaint: \(repaint.text)")
    }

    func testRestoreGivesTheTerminalBackAndIsIdempotent() throws {
        let pty = try PseudoTerminal(columns: 80, rows: 24)
        let cooked = pty.localFlags
        XCTAssertNotEqual(cooked & tcflag_t(ICANON), 0)
        let screen = try makeScreen(pty)
        screen.draw(sampleFrame(width: 80, height: 24))
        XCTAssertEqual(pty.localFlags & tcflag_t(ICANON), 0, "cbreak while the screen is up")
        XCTAssertNotEqual(pty.localFlags & tcflag_t(ISIG), 0, "Ctrl-C stays SIGINT")
        _ = pty.drain()
        screen.restore()
        XCTAssertEqual(pty.localFlags, cooked)
        let restoring = pty.drain()
        XCTAssertTrue(restoring.contains("\u{1b}[?1049l"), "leaves the alternate screen: \(restoring.text)")
        screen.restore()
        screen.draw(sampleFrame(width: 80, height: 24))
        XCTAssertEqual(pty.drain(), [], "a restored screen draws nothing")
        XCTAssertEqual(pty.localFlags, cooked)
    }

    func testAnUnknownTerminalIsAOneLineErrorNamingIt() throws {
        let pty = try PseudoTerminal(columns: 80, rows: 24)
        XCTAssertThrowsError(try NcursesScreen(terminalType: "no-such-terminal", output: pty.output, input: pty.input)) {
            XCTAssertEqual("\($0)", "cannot start the terminal 'no-such-terminal': unknown to terminfo or not a terminal")
        }
    }
}
