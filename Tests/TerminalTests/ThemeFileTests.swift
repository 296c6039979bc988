import Foundation
import Terminal
import TestSupport
import XCTest

/// btop-format theme files, parsed from real files in a temporary folder.
final class ThemeFileTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder(for: self, "themes")
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A theme as btop writes them: its own keys meshtop does not use, every value form.
    static let btopStyle = """
        #Bashtop theme with some colours
        # (a comment line, then a blank one)

        theme[main_bg]="#00"
        theme[main_fg]="#cc"
        theme[title]="238 238 238"
        theme[hi_fg]="#B54040"
        theme[proc_misc] = "#0de756"
          theme[inactive_fg]='#404040'
        theme[graph_text]=""
        theme[cpu_start]="#50f095"
        theme[cpu_mid]=""
        theme[cpu_end]="#fa1e1e"
        theme[mem_box]="108 108 75"
        theme[process_mid]="#dcd179"
        # btop-only keys: skipped
        theme[proc_box_x]="#ff00ff"
        theme[available_start]="#292007"
        theme[swap_start]="#123456"
        theme[temp_start]="#4897d4"
        """

    func testBtopStyleFileWithEveryValueForm() throws {
        let path = try write("btop-like.theme", Self.btopStyle)
        let (theme, warning) = ThemeFile.load(path: path)
        XCTAssertNil(warning)
        XCTAssertEqual(theme.name, "btop-like")
        XCTAssertFalse(theme.monochrome)
        XCTAssertEqual(theme[.mainBackground], .rgb(0, 0, 0), "#GG is a grey")
        XCTAssertEqual(theme[.mainForeground], .rgb(0xcc, 0xcc, 0xcc))
        XCTAssertEqual(theme[.title], .rgb(238, 238, 238), "R G B in decimal")
        XCTAssertEqual(theme[.highlight], .rgb(0xb5, 0x40, 0x40), "hex in either case")
        XCTAssertEqual(theme[.misc], .rgb(0x0d, 0xe7, 0x56), "spaces around =")
        XCTAssertEqual(theme[.inactive], .rgb(0x40, 0x40, 0x40), "single quotes, indented")
        XCTAssertEqual(theme[.graphText], .default, "empty: the terminal's own colour")
        XCTAssertEqual(theme[.memoryBox], .rgb(108, 108, 75))
        XCTAssertEqual(theme[.cpuMid], .rgb(0xa5, 0x87, 0x5a), "an empty mid is halfway from start to end")
        XCTAssertEqual(theme.colors.count, 14)
        // Keys the file leaves out come from the default.
        XCTAssertNil(theme.colors[.divider])
        XCTAssertEqual(theme[.divider], Theme.defaultDark[.divider])
        XCTAssertEqual(theme[.usedEnd], Theme.defaultDark[.usedEnd])
    }

    func testABrokenLineNamesItselfAndFallsBackToTheDefault() throws {
        let cases: [(String, Int, String)] = [
            ("theme[main_fg]=\"#cc\"\n\ntheme[title]=\"#12345\"\n", 3, "bad colour \"#12345\""),
            ("# ok\ntheme[main_fg]=\"300 0 0\"\n", 2, "bad colour \"300 0 0\""),
            ("theme[main_fg]=\"#zzzzzz\"\n", 1, "bad colour"),
            ("theme[main_fg]=\"1 2\"\n", 1, "bad colour"),
            ("theme[title]=\"#eeeeee\"\ntheme[main_fg \"#cccccc\"\n", 2, "expected theme[key]=\"value\""),
            ("main_fg=#cccccc\n", 1, "expected theme[key]=\"value\""),
            ("theme[main_fg]=\"#cccccc\n", 1, "expected theme[key]=\"value\""),
            ("theme[meshtop_monochrome]=\"yes\"\n", 1, "meshtop_monochrome must be"),
            ("theme[unknown_key]=\"#nothex\"\n", 1, "bad colour"),
        ]
        for (index, (text, line, problem)) in cases.enumerated() {
            let path = try write("broken\(index).theme", text)
            let (theme, warning) = ThemeFile.load(path: path)
            XCTAssertEqual(theme, Theme.defaultDark, "case \(index)")
            let message = try XCTUnwrap(warning, "case \(index)")
            XCTAssertTrue(message.hasPrefix("theme \(path) line \(line): "), message)
            XCTAssertTrue(message.contains(problem), message)
        }
        XCTAssertThrowsError(try ThemeFile.parse("theme[x]=\"#1\"", name: "t", file: "f.theme")) { error in
            XCTAssertEqual("\(error)", "theme f.theme line 1: bad colour \"#1\" for x: use #RRGGBB, #GG (grey), \"R G B\" (0-255) or \"\"")
        }
    }

    func testAMissingFileWarnsAndGivesTheDefault() {
        let path = folder.appendingPathComponent("absent.theme").path
        let (theme, warning) = ThemeFile.load(path: path)
        XCTAssertEqual(theme, Theme.defaultDark)
        XCTAssertEqual(warning, "theme \(path): cannot read the file; using the default theme")
    }

    func testMonochromeKeyMakesAnAttributesOnlyTheme() throws {
        let theme = try ThemeFile.parse("theme[meshtop_monochrome]=\"true\"\ntheme[main_fg]=\"#ff0000\"\n",
                                        name: "mono", file: "mono.theme")
        XCTAssertTrue(theme.monochrome)
        XCTAssertEqual(theme[.mainForeground], .default)
        XCTAssertEqual(theme.selected, Style(attributes: [.reverse]))
        XCTAssertEqual(theme.color(.cpu, at: 0.7), .default)
    }

    /// docs/themes.md's example is a theme that loads, with the values it says.
    func testTheDocumentedExampleParses() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/themes.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let parts = text.components(separatedBy: "```")
        let example = try XCTUnwrap(parts.dropFirst().first { $0.contains("theme[") }, "no example in docs/themes.md")
        let theme = try ThemeFile.parse(example, name: "example", file: "docs/themes.md")
        XCTAssertEqual(theme[.mainForeground], .rgb(0xcc, 0xcc, 0xcc))
        XCTAssertEqual(theme[.title], .rgb(0xee, 0xee, 0xee))
        XCTAssertEqual(theme[.highlight], .rgb(181, 64, 64))
        XCTAssertEqual(theme[.mainBackground], .default)
    }
}
