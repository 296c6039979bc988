import Compare
import Foundation
import Terminal

/// The compare view's loop over a `Screen`, as `DashboardApp` runs the dashboard: draws, reads a
/// key, redraws what it changed (a resize at once), until `q`. The runs do not change, so it
/// draws only after a key. `run()` gives the terminal back (`screen.restore()`) before returning.
public final class CompareApp {
    /// What the user looks at; read it after `run()` (tests).
    public private(set) var view: CompareViewState
    /// The comparison shown: aligned as `view.alignment` says.
    public var comparison: Comparison { view.alignment == byStep.alignment ? byStep : other }

    private let screen: Screen
    private let themes: [Theme]
    private let glyphs: Glyphs
    private let byStep: Comparison
    /// The other alignment, computed the first time `a` asks for it.
    private lazy var other: Comparison = byStep.aligned(by: byStep.alignment.toggled)

    public init(screen: Screen, comparison: Comparison, themes: [Theme], themeIndex: Int = 0, glyphs: Glyphs) {
        self.screen = screen
        self.themes = themes.isEmpty ? [.defaultDark] : themes
        self.glyphs = glyphs
        byStep = comparison
        view = CompareViewState(alignment: comparison.alignment)
        view.themeIndex = min(max(0, themeIndex), self.themes.count - 1)
    }

    public func run() {
        defer { screen.restore() }
        drawFrame()
        while true {
            guard let key = screen.readKey(timeout: 1) else { continue }
            if key != .resize && CompareKeys.handle(key, view: &view, themeCount: themes.count) { return }
            drawFrame()
        }
    }

    private func drawFrame() {
        var frame = Buffer(width: screen.width, height: screen.height)
        CompareView.render(comparison, view, theme: themes[view.themeIndex % themes.count], glyphs: glyphs, into: &frame)
        screen.draw(frame)
    }
}
