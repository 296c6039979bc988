import CNcursesw
import Foundation
import XCTest

/// The ncursesw binding, driven off-screen: a screen on a pipe instead of a terminal.
final class NcurseswBindingTests: XCTestCase {
    func testWideCharactersAttributesAndExtendedColourPairs() throws {
        setlocale(LC_ALL, "C.UTF-8")
        let output = fopen("/dev/null", "w"), input = fopen("/dev/null", "r")
        defer { fclose(output); fclose(input) }
        guard let screen = newterm("xterm-256color", output, input) else {
            throw XCTSkip("no terminfo entry for xterm-256color")
        }
        defer { endwin(); delscreen(screen) }

        XCTAssertEqual(start_color(), OK)
        XCTAssertTrue(has_colors())
        XCTAssertGreaterThanOrEqual(mt_colors(), 256)
        // Pair numbers above 255 need the extended-pair API.
        XCTAssertEqual(init_extended_pair(300, 196, 16), OK)
        var fg: Int32 = 0, bg: Int32 = 0
        XCTAssertEqual(extended_pair_content(300, &fg, &bg), OK)
        XCTAssertEqual([fg, bg], [196, 16])

        let window = mt_stdscr()!
        XCTAssertGreaterThan(mt_getmaxy(window), 0)
        XCTAssertGreaterThan(mt_getmaxx(window), 0)
        let braille: wchar_t = 0x28FF  // all eight dots
        XCTAssertEqual(mt_put_wch(window, 1, 2, braille, mt_a_bold(), 300), OK)

        var cell = cchar_t()
        XCTAssertEqual(mvwin_wch(window, 1, 2, &cell), OK)
        var text = [wchar_t](repeating: 0, count: 8)
        var attrs: attr_t = 0
        var pair: Int16 = 0
        var extendedPair: Int32 = 0
        XCTAssertEqual(getcchar(&cell, &text, &attrs, &pair, &extendedPair), OK)
        XCTAssertEqual(text[0], braille)
        XCTAssertEqual(extendedPair, 300)
        XCTAssertNotEqual(attrs & mt_a_bold(), 0)
        XCTAssertNotEqual(mt_key_resize(), 0)
        XCTAssertEqual(mt_key_f(1), KEY_F0 + 1)
    }
}
