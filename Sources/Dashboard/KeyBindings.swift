import Terminal

/// What a key does on the dashboard (outside the mesh picker and the quit question, which have
/// keys of their own: `MeshPickerKeys`, `KeyMap.confirmQuit`).
public enum KeyAction: Hashable, Sendable, CaseIterable {
    case quit, pause, checkpoint, meshPicker, retrySwitch, nextTheme
    case smoothMore, smoothLess, logScale, gradNorm, learningRate, zoomIn, zoomOut
    case up, down, left, right, details, focusNext, focusPrevious, close, help
}

/// One line of the help overlay: the keys it names, what they do, and the footer's short word.
public struct KeyBinding: Sendable {
    /// The keys as `?` lists them ("s / S").
    public let label: String
    public let help: String
    /// The footer's word for it (nil: not in the footer), shown after `footerLabel`.
    public let footer: String?
    public let footerLabel: String
    /// Only a live run acts on it (a replay shows it but ignores the key).
    public let liveOnly: Bool
    public let keys: [(key: Key, action: KeyAction)]

    init(_ label: String, _ help: String, footer: String? = nil, footerLabel: String? = nil, liveOnly: Bool = false,
         _ keys: [(Key, KeyAction)]) {
        self.label = label; self.help = help; self.footer = footer; self.footerLabel = footerLabel ?? label
        self.liveOnly = liveOnly; self.keys = keys.map { (key: $0.0, action: $0.1) }
    }
}

/// Every key of the dashboard, once: `KeyMap` acts on them, the help overlay lists them in this
/// order, and the footer shows those with a footer word in `footerOrder`.
public enum KeyBindings {
    public static let all: [KeyBinding] = [
        KeyBinding("q", "quit (live: asks, y stops the run, n cancels)", footer: "quit", [(.character("q"), .quit)]),
        KeyBinding("p", "pause / resume the run", footer: "pause", liveOnly: true, [(.character("p"), .pause)]),
        KeyBinding("c", "checkpoint now", footer: "checkpoint", liveOnly: true, [(.character("c"), .checkpoint)]),
        KeyBinding("m", "mesh picker: choose a mesh, Enter switches", [(.character("m"), .meshPicker)]),
        KeyBinding("R", "after a failed switch: retry on the old mesh", liveOnly: true, [(.character("R"), .retrySwitch)]),
        KeyBinding("t", "next theme", footer: "theme", [(.character("t"), .nextTheme)]),
        KeyBinding("s / S", "more / less loss smoothing", footer: "smooth", footerLabel: "s/S",
                   [(.character("s"), .smoothMore), (.character("S"), .smoothLess)]),
        KeyBinding("y", "log scale for the loss", footer: "log", [(.character("y"), .logScale)]),
        KeyBinding("g / r", "show grad norm / learning rate", [(.character("g"), .gradNorm), (.character("r"), .learningRate)]),
        KeyBinding("+ / -", "zoom in to the last steps / out", footer: "zoom", footerLabel: "+/-",
                   [(.character("+"), .zoomIn), (.character("="), .zoomIn), (.character("-"), .zoomOut)]),
        KeyBinding("arrows, hjkl", "select a rank (log focused: scroll)",
                   [(.up, .up), (.character("k"), .up), (.down, .down), (.character("j"), .down),
                    (.left, .left), (.character("h"), .left), (.right, .right), (.character("l"), .right)]),
        KeyBinding("Enter", "details of the selected rank", footer: "details", [(.enter, .details)]),
        KeyBinding("Tab", "move focus: mesh, loss, log", footer: "focus", [(.tab, .focusNext), (.backTab, .focusPrevious)]),
        KeyBinding("Esc", "close this overlay", [(.escape, .close)]),
        KeyBinding("?", "this help", footer: "help", [(.character("?"), .help)]),
    ]

    /// The footer's order: what is used most first, so a narrow terminal keeps it.
    static let footerOrder: [KeyAction] = [.quit, .pause, .checkpoint, .help, .nextTheme, .smoothMore, .logScale, .zoomIn,
                                           .details, .focusNext]

    /// The binding and action of `key`, if it has one.
    public static func action(for key: Key) -> (binding: KeyBinding, action: KeyAction)? {
        for binding in all {
            if let hit = binding.keys.first(where: { $0.key == key }) { return (binding, hit.action) }
        }
        return nil
    }

    /// The footer's (label, word) pairs; a live run's first, then the rest.
    public static func footer(live: Bool) -> [(label: String, word: String, action: KeyAction)] {
        footerOrder.compactMap { action in
            guard let binding = all.first(where: { $0.keys.contains { $0.action == action } }),
                  let word = binding.footer, live || !binding.liveOnly else { return nil }
            return (binding.footerLabel, word, action)
        }
    }
}
