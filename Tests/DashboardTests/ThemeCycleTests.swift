import Foundation
import XCTest
import Dashboard
import Terminal
import TestSupport

/// `t`'s list from the shipped themes/ folder: the chosen theme first in line, broken files
/// skipped with a warning naming them, NO_COLOR leaving only the monochrome theme.
final class ThemeCycleTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../themes").standardized
        folder = try makeTemporaryFolder(for: self, "themes")
        for name in try FileManager.default.contentsOfDirectory(atPath: shipped.path) where name.hasSuffix(".theme") {
            try FileManager.default.copyItem(at: shipped.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
    }

    func testChosenThemeStartsAndEveryShippedThemeCycles() {
        let catalog = ThemeCatalog(folder: folder.path)
        let (themes, index, warnings) = ThemeCycle.load(catalog, option: "light")
        XCTAssertEqual(warnings, [])
        XCTAssertEqual(themes.map(\.name), ThemeCatalog.shippedNames)
        XCTAssertEqual(themes[index].name, "light")
        XCTAssertEqual(ThemeCycle.load(catalog, option: nil).index, 0, "no --theme: the default")
    }

    func testBrokenThemeFileIsSkippedWithAWarning() throws {
        try "theme[main_bg]=\"#zz0000\"\n".write(to: folder.appendingPathComponent("broken.theme"), atomically: true, encoding: .utf8)
        let (themes, _, warnings) = ThemeCycle.load(ThemeCatalog(folder: folder.path), option: nil)
        XCTAssertFalse(themes.contains { $0.name == "broken" })
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("broken.theme"), warnings[0])
    }

    func testNoColorLeavesOnlyMonochrome() {
        let (themes, index, _) = ThemeCycle.load(ThemeCatalog(folder: folder.path, noColor: true), option: nil)
        XCTAssertEqual(themes.map(\.monochrome), [true])
        XCTAssertEqual(index, 0)
    }
}
