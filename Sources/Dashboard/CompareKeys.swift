import Compare
import Terminal

/// How the user looks at a comparison (what the compare view's keys change).
public struct CompareViewState: Equatable, Sendable {
    public enum Series: CaseIterable, Sendable { case loss, gradNorm, both }
    public enum DifferenceKind: Sendable { case relative, absolute }

    /// `g`: the loss, the grad norm, or both side by side.
    public var series: Series = .loss
    /// `a`: what the runs are matched by (the app recomputes the comparison).
    public var alignment: Alignment = .step
    /// `d`: the difference panel's relative or absolute differences.
    public var difference: DifferenceKind = .relative
    /// `y`: a log scale for the curves.
    public var logScale = false
    public var themeIndex = 0
    public var showHelp = false

    public init(alignment: Alignment = .step) { self.alignment = alignment }
}

/// What a key does on the compare view.
public enum CompareAction: Sendable { case quit, gradNorm, alignment, difference, logScale, nextTheme, help, close }

/// The compare view's keys, once: the loop acts on them, the help lists them, the footer shows them.
public enum CompareKeys {
    public static let all: [(label: String, help: String, footer: String?, keys: [Key], action: CompareAction)] = [
        ("q", "quit", "quit", [.character("q")], .quit),
        ("g", "loss, grad norm, both side by side", "grad norm", [.character("g")], .gradNorm),
        ("a", "align the runs by step / by tokens seen", "align", [.character("a")], .alignment),
        ("d", "differences: relative / absolute", "abs/rel", [.character("d")], .difference),
        ("y", "log scale for the curves", "log", [.character("y")], .logScale),
        ("t", "next theme", "theme", [.character("t")], .nextTheme),
        ("?", "this help", "help", [.character("?")], .help),
        ("Esc", "close this help", nil, [.escape], .close),
    ]

    /// Applies `key`; true when the view should close.
    public static func handle(_ key: Key, view: inout CompareViewState, themeCount: Int) -> Bool {
        guard let entry = all.first(where: { $0.keys.contains(key) }) else { return false }
        if view.showHelp && entry.action != .quit && entry.action != .help { view.showHelp = false; return false }
        switch entry.action {
        case .quit: return true
        case .gradNorm:
            let cases = CompareViewState.Series.allCases
            view.series = cases[(cases.firstIndex(of: view.series)! + 1) % cases.count]
        case .alignment: view.alignment = view.alignment.toggled
        case .difference: view.difference = view.difference == .relative ? .absolute : .relative
        case .logScale: view.logScale.toggle()
        case .nextTheme: view.themeIndex = (view.themeIndex + 1) % max(1, themeCount)
        case .help: view.showHelp.toggle()
        case .close: view.showHelp = false
        }
        return false
    }
}
