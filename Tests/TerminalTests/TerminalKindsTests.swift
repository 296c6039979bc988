import Foundation
import Terminal
import TestSupport
import XCTest

/// The colours each kind of terminal gets, on a pseudo-terminal: 24-bit on a direct-colour
/// terminfo entry, the 8 basic colours on plain xterm, attributes alone on a monochrome one.
final class TerminalKindsTests: XCTestCase {
    private func draw(on terminalType: String, _ frame: Buffer, environment: [String: String] = [:]) throws
        -> (NcursesScreen, [UInt8]) {
        let pty = try PseudoTerminal(columns: frame.width, rows: frame.height)
        let screen: NcursesScreen
        do {
            screen = try NcursesScreen(terminalType: terminalType, output: pty.output, input: pty.input, environment: environment)
        } catch {
            throw XCTSkip("\(terminalType) is not available: \(error)")
        }
        defer { screen.restore() }
        screen.draw(frame)
        return (screen, pty.drain())
    }

    private func colourFrame() -> Buffer {
        var frame = Buffer(width: 40, height: 10)
        frame.put("red", x: 0, y: 0, style: Style(foreground: .rgb(250, 10, 10), attributes: [.bold]))
        frame.put("deep", x: 0, y: 1, style: Style(foreground: .rgb(0x12, 0x34, 0x56), background: .rgb(1, 2, 3)))
        return frame
    }

    /// A direct-colour entry (xterm-256color with `RGB` and 2^24 colours, as ncurses' own
    /// xterm-direct), compiled with tic into a scratch terminfo folder.
    func testDirectColourTerminalGetsTheExactValues() throws {
        let folder = try makeTemporaryFolder(for: self, "terminfo")
        let source = folder.appendingPathComponent("direct.src")
        let setColour = "%?%p1%{8}%<%t_%p1%d%e_8:2::%p1%{65536}%/%d:%p1%{256}%/%{255}%&%d:%p1%{255}%&%d%;m"
        try """
            meshtop-direct|xterm-256color with direct colour (meshtop test),
            \tRGB, colors#0x1000000, pairs#0x10000, ccc@, initc@,
            \tsetaf=\\E[\(setColour.replacingOccurrences(of: "_", with: "3")),
            \tsetab=\\E[\(setColour.replacingOccurrences(of: "_", with: "4")),
            \tuse=xterm-256color,

            """.write(to: source, atomically: true, encoding: .utf8)
        let tic = Process()
        tic.executableURL = URL(fileURLWithPath: "/usr/bin/tic")
        tic.arguments = ["-x", "-o", folder.path, source.path]
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tic") else { throw XCTSkip("tic is not installed") }
        try tic.run()
        tic.waitUntilExit()
        XCTAssertEqual(tic.terminationStatus, 0, "tic compiled the entry")
        setenv("TERMINFO", folder.path, 1)
        defer { unsetenv("TERMINFO") }

        let (screen, written) = try draw(on: "meshtop-direct", colourFrame())
        XCTAssertEqual(screen.colorDepth, .direct)
        XCTAssertTrue(screen.truecolor)
        XCTAssertTrue(written.contains("38:2::250:10:10"), written.text)
        XCTAssertTrue(written.contains("38:2::18:52:86"), written.text)
        XCTAssertTrue(written.contains("48:2::1:2:3"), written.text)
    }

    /// tmux announces truecolor but cannot redefine colours: the nearest of 256.
    func testTmuxGetsTheNearestOf256EvenWhenTruecolorIsAnnounced() throws {
        let (screen, written) = try draw(on: "tmux-256color", colourFrame(), environment: ["COLORTERM": "truecolor"])
        XCTAssertEqual(screen.colorDepth, .indexed256)
        XCTAssertTrue(written.contains("38;5;196"), written.text)
        XCTAssertFalse(written.contains("]4;"), "no palette redefinition: \(written.text)")
    }

    func testEightColourTerminalGetsTheNearestBasicColour() throws {
        let (screen, written) = try draw(on: "xterm", colourFrame())
        XCTAssertEqual(screen.colorDepth, .indexed8)
        XCTAssertTrue(written.contains("\u{1b}[31m"), "red as basic colour 1: \(written.text)")
        XCTAssertFalse(written.contains("38;5;"), written.text)
    }

    func testMonochromeTerminalGetsAttributesOnly() throws {
        let (screen, written) = try draw(on: "xterm-mono", colourFrame())
        XCTAssertEqual(screen.colorDepth, .monochrome)
        XCTAssertFalse(screen.truecolor)
        XCTAssertTrue(written.contains("red") && written.contains("deep"), written.text)
        XCTAssertTrue(written.contains("\u{1b}[1m"), "bold survives: \(written.text)")
        for colour in ["\u{1b}[3", "38;", "48;"] {
            XCTAssertFalse(written.contains(colour), "no colour sequence \(colour.debugDescription): \(written.text)")
        }
    }
}
