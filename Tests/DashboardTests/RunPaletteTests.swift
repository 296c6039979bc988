import Compare
import Dashboard
import Foundation
import Terminal
import XCTest

/// The overlay's runs look different in every shipped theme, without colour and in ASCII: their
/// colours far apart (and apart from the background) and distinct in tmux's 256 colours, their
/// attributes distinct without colour, their marks distinct in ASCII; and the rendered view uses
/// them, one per run.
final class RunPaletteTests: XCTestCase {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../themes").standardized.path
    /// Runs whose colours must be told apart.
    static let runs = 5
    /// The least squared RGB distance between two runs' colours, or a colour and the background
    /// (80 in one channel; the shipped themes' worst pair is printed).
    static let leastDistance = 80 * 80

    func themes() -> [Theme] {
        let catalog = ThemeCatalog(folder: Self.shipped)
        return catalog.names.map { catalog.resolve($0).theme }
    }

    func testEveryShippedThemeGivesRunsColoursFarApartAndDistinctIn256() {
        let all = themes()
        XCTAssertEqual(all.map(\.name), ThemeCatalog.shippedNames)
        for theme in all where !theme.monochrome {
            let colors = RunPalette.colors(theme, count: Self.runs)
            let rgb = colors.map { c -> (UInt8, UInt8, UInt8) in
                guard case .rgb(let r, let g, let b) = c else { XCTFail("\(theme.name): \(c) is no RGB colour"); return (0, 0, 0) }
                return (r, g, b)
            }
            var background = (UInt8(0), UInt8(0), UInt8(0))
            if case .rgb(let r, let g, let b) = theme[.mainBackground] { background = (r, g, b) }
            var worst = Int.max
            for i in rgb.indices {
                worst = min(worst, XtermPalette.distance(rgb[i], background))
                for j in rgb.indices where j > i { worst = min(worst, XtermPalette.distance(rgb[i], rgb[j])) }
            }
            print("\(theme.name): least squared distance among \(Self.runs) runs' colours and the background \(worst)")
            XCTAssertGreaterThanOrEqual(worst, Self.leastDistance, "\(theme.name): \(colors)")
            let indexed = Set(rgb.map { XtermPalette.nearest256($0.0, $0.1, $0.2) })
            XCTAssertEqual(indexed.count, Self.runs, "\(theme.name): two runs share a colour in 256 colours")
            XCTAssertEqual(RunPalette.colors(theme, count: 2), Array(colors.prefix(2)), "adding runs keeps the first runs' colours")
        }
    }

    func testWithoutColourTheRunsDifferByAttributeAndInASCIIByMark() {
        let styles = RunPalette.styles(.monochrome, count: Self.runs)
        XCTAssertEqual(Set(styles.map(\.attributes.rawValue)).count, Self.runs)
        XCTAssertTrue(styles.allSatisfy { $0.foreground == .default })
        XCTAssertEqual(Set((0 ..< Self.runs).map(RunPalette.asciiMark)).count, Self.runs)
    }

    /// The curves of three differing runs, drawn: each run's cells in its own style (braille) and
    /// its own mark (ASCII), in every theme.
    func testTheRenderedCurvesCarryOneStylePerRunInEveryTheme() {
        let comparison = CompareFixtures.threeRuns()
        for theme in themes() {
            for glyphs in [Glyphs.unicode, .ascii] {
                var buffer = Buffer(width: 120, height: 40)
                CompareView.render(comparison, CompareViewState(), theme: theme, glyphs: glyphs, into: &buffer)
                let expected = RunPalette.styles(theme, count: 3)
                // The loss chart's plot: below its legend, right of the y axis, inside the first box.
                let chartRows = (4 ..< 15), chartColumns = (10 ..< 118)
                var styles: Set<Style> = [], marks: Set<Unicode.Scalar> = []
                for y in chartRows {
                    for x in chartColumns {
                        let cell = buffer[x, y]
                        if glyphs.braille ? (0x2801 ... 0x28FF).contains(cell.scalar.value) : RunPalette.asciiMarks.contains(cell.scalar) {
                            styles.insert(cell.style)
                            marks.insert(cell.scalar)
                        }
                    }
                }
                XCTAssertEqual(styles, Set(expected), "\(theme.name) \(glyphs.braille ? "braille" : "ascii")")
                if !glyphs.braille { XCTAssertEqual(marks, Set((0 ..< 3).map(RunPalette.asciiMark)), theme.name) }
            }
        }
    }
}
