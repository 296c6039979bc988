import Foundation
import Terminal
import TestSupport
import XCTest

/// The shipped themes/ folder, `--theme NAME|PATH`, NO_COLOR and the cycling order.
final class ThemeCatalogTests: XCTestCase {
    /// The repository's themes/ (this file is Tests/TerminalTests/ThemeCatalogTests.swift).
    private let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("themes").path
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = try makeTemporaryFolder(for: self, "catalog")
    }

    func testEveryShippedThemeLoadsCleanly() throws {
        let catalog = ThemeCatalog(folder: shipped)
        XCTAssertEqual(catalog.names, ThemeCatalog.shippedNames)
        for name in ThemeCatalog.shippedNames {
            let (theme, warning) = catalog.resolve(name)
            XCTAssertNil(warning, name)
            XCTAssertEqual(theme.name, name)
            if name == "monochrome" {
                XCTAssertTrue(theme.monochrome)
            } else {
                XCTAssertFalse(theme.monochrome, name)
                XCTAssertEqual(Set(theme.colors.keys), Set(ThemeKey.allCases), "\(name) sets every key")
            }
        }
        XCTAssertEqual(catalog.resolve("default").theme, Theme.defaultDark, "default.theme is the built-in default")
        XCTAssertEqual(catalog.resolve("light").theme[.mainBackground], .rgb(0xfa, 0xfa, 0xf7),
                       "a light theme paints its own background")
    }

    func testPathsNamesAndUnknownNames() throws {
        let mine = scratch.appendingPathComponent("mine.theme")
        try "theme[main_fg]=\"#102030\"\n".write(to: mine, atomically: true, encoding: .utf8)
        let catalog = ThemeCatalog(folder: scratch.path)
        XCTAssertEqual(catalog.resolve("mine").theme[.mainForeground], .rgb(0x10, 0x20, 0x30), "a name in the folder")
        XCTAssertEqual(catalog.resolve(mine.path).theme.name, "mine", "a path")
        XCTAssertEqual(ThemeCatalog(folder: nil).resolve(mine.path).theme.name, "mine", "a path needs no folder")

        let (theme, warning) = catalog.resolve("nosuch")
        XCTAssertEqual(theme, Theme.defaultDark)
        XCTAssertEqual(warning, "theme nosuch: no such theme (known: default, monochrome, mine); using the default theme")
        let missing = catalog.resolve("elsewhere/absent.theme")
        XCTAssertEqual(missing.theme, Theme.defaultDark)
        XCTAssertEqual(missing.warning, "theme elsewhere/absent.theme: cannot read the file; using the default theme")
        XCTAssertEqual(catalog.resolve("monochrome").theme, Theme.monochrome, "built in when the folder lacks it")
    }

    func testCyclingOrderIsStableAndWraps() throws {
        for name in ["zeta", "alpha", "light", "default"] {
            try "".write(to: scratch.appendingPathComponent("\(name).theme"), atomically: true, encoding: .utf8)
        }
        try "".write(to: scratch.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let catalog = ThemeCatalog(folder: scratch.path)
        XCTAssertEqual(catalog.names, ["default", "light", "monochrome", "alpha", "zeta"])
        XCTAssertEqual(catalog.name(after: "default"), "light")
        XCTAssertEqual(catalog.name(after: "alpha"), "zeta")
        XCTAssertEqual(catalog.name(after: "zeta"), "default")
        XCTAssertEqual(catalog.name(after: "/some/path.theme"), "default", "from a path: back to the first")
    }

    func testNoColorMeansMonochromeUnlessAThemeIsAsked() {
        let environment = ["NO_COLOR": "1", "MESHTOP_THEMES": shipped]
        let catalog = ThemeCatalog.forProcess(environment: environment, executablePath: "/nowhere/bin/meshtop")
        XCTAssertEqual(catalog.folder, shipped)
        XCTAssertTrue(catalog.noColor)
        XCTAssertTrue(catalog.resolve(nil).theme.monochrome)
        XCTAssertEqual(catalog.resolve("light").theme.name, "light", "an explicit --theme wins over NO_COLOR")
        let empty = ThemeCatalog.forProcess(environment: ["NO_COLOR": "", "MESHTOP_THEMES": shipped])
        XCTAssertFalse(empty.noColor, "NO_COLOR set but empty does not count")
        XCTAssertEqual(empty.resolve(nil).theme, Theme.defaultDark)
    }

    func testTheFolderIsFoundAboveTheExecutable() throws {
        let package = scratch.appendingPathComponent("package")
        let release = package.appendingPathComponent(".build/x86_64-unknown-linux-gnu/release")
        try FileManager.default.createDirectory(at: release, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: package.appendingPathComponent("themes"), withIntermediateDirectories: true)
        try "".write(to: package.appendingPathComponent("themes/default.theme"), atomically: true, encoding: .utf8)
        let executable = release.appendingPathComponent("meshtop").path
        XCTAssertEqual(ThemeCatalog.findFolder(above: executable), package.appendingPathComponent("themes").path)
        let catalog = ThemeCatalog.forProcess(environment: [:], executablePath: executable)
        XCTAssertEqual(catalog.folder, package.appendingPathComponent("themes").path)
        XCTAssertNil(ThemeCatalog.findFolder(above: scratch.appendingPathComponent("bin/meshtop").path))
        // The test bundle itself sits in this package's .build: it finds the shipped folder.
        XCTAssertEqual(ThemeCatalog.forProcess(environment: [:]).folder.map { URL(fileURLWithPath: $0).standardized.path },
                       URL(fileURLWithPath: shipped).standardized.path)
    }
}
