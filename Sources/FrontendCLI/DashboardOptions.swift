import CStdio
import ArgumentParser
import Dashboard
import Foundation
import RunSpec
import Terminal

/// How the dashboard looks: shared by `meshtop run` and `meshtop replay`.
public struct DashboardOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The dashboard's colours: a theme name (default, light, high-contrast, monochrome, solarized-dark, or any NAME.theme in the themes folder) or the path of a theme file in btop's format.",
        discussion: "`t` cycles through the themes while it runs. NO_COLOR (set, not empty) means monochrome unless --theme is given. A broken file: a warning naming the line, and the default theme.",
        valueName: "name|path"))
    public var theme: String?

    @Flag(help: "Draw with ASCII only (no box drawing, block or braille characters), for terminals or fonts without them.")
    public var ascii = false

    public init() {}

    /// A theme that does not load is refused, whether or not this run shows the dashboard: a
    /// typo should not wait for the day the run is on a terminal.
    public func validate() throws {
        guard let theme, let warning = ThemeCatalog.forProcess().resolve(theme).warning else { return }
        let reason = warning.replacingOccurrences(of: "; using the default theme", with: "")
        throw ValidationError("--" + (reason.hasPrefix("theme ") ? reason : "theme \(theme): \(reason)"))
    }

    /// The glyphs for this screen: ASCII when asked, or when the locale cannot show the others.
    func glyphs(for screen: NcursesScreen) -> Glyphs {
        ascii || !screen.unicodeLocale ? .ascii : .unicode
    }

    /// The dashboard on the controlling terminal, or nil (with the reason on stderr) when there is none.
    func makeApp(live: Bool, runName: String?, maxWorldSize: Int = DashboardApp.defaultMaxWorldSize) -> (DashboardApp, [String])? {
        let screen: NcursesScreen
        do { screen = try NcursesScreen() } catch {
            fputs("meshtop: \(error): running headless\n", mt_stderr())
            return nil
        }
        let (themes, index, warnings) = ThemeCycle.load(.forProcess(), option: theme)
        let app = DashboardApp(screen: screen, themes: themes, themeIndex: index, glyphs: glyphs(for: screen),
                               live: live, runName: runName, maxWorldSize: maxWorldSize)
        return (app, warnings)
    }
}
