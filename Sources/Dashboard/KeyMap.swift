import Terminal

/// What keys act on besides the view: whether the run is live (commands go to it) and its shape.
public struct KeyContext: Equatable, Sendable {
    /// A live run (`meshtop run`), not a replay; false also once the job has ended.
    public var live: Bool
    public var paused: Bool
    /// The mesh [replicate, shard] that arrow keys move across.
    public var replicate: Int
    public var shard: Int
    public var themeCount: Int
    /// The latest mesh switch (a request under way blocks another; a failure enables `R`).
    public var meshSwitch: MeshSwitchStatus?

    public init(live: Bool, paused: Bool = false, replicate: Int, shard: Int, themeCount: Int,
                meshSwitch: MeshSwitchStatus? = nil) {
        self.live = live; self.paused = paused; self.replicate = replicate; self.shard = shard
        self.themeCount = themeCount; self.meshSwitch = meshSwitch
    }
}

/// Keys → view changes and commands (the keys themselves: `KeyBindings`).
public enum KeyMap {
    public static func handle(_ key: Key, view: inout ViewState, context: KeyContext) -> [DashboardCommand] {
        if view.overlay == .quitConfirm { return confirmQuit(key, view: &view, context: context) }
        if view.overlay == .meshPicker { return pickerKey(key, view: &view, context: context) }
        guard let (binding, action) = KeyBindings.action(for: key), context.live || !binding.liveOnly else { return [] }
        switch action {
        case .quit:
            if context.live && !view.stopping {
                view.overlay = .quitConfirm
                return []
            }
            return [.quit]
        case .close: view.overlay = .none
        case .help: view.overlay = view.overlay == .help ? .none : .help
        case .details: view.overlay = view.overlay == .details ? .none : .details
        case .pause: return [.control(context.paused ? .resume : .pause)]
        case .checkpoint: return [.control(.checkpoint)]
        case .meshPicker: openPicker(&view, context: context)
        case .retrySwitch:
            if case .failed = context.meshSwitch { return [.retryPreviousMesh] }
        case .nextTheme: view.themeIndex = (view.themeIndex + 1) % max(1, context.themeCount)
        case .smoothMore: view.smoothing = step(ViewState.smoothingLevels, from: view.smoothing, by: 1)
        case .smoothLess: view.smoothing = step(ViewState.smoothingLevels, from: view.smoothing, by: -1)
        case .logScale: view.logScale.toggle()
        case .gradNorm: view.showGradNorm.toggle()
        case .learningRate: view.showLR.toggle()
        case .zoomIn: view.zoom = stepZoom(view.zoom, by: 1)
        case .zoomOut: view.zoom = stepZoom(view.zoom, by: -1)
        case .focusNext: view.focus = next(view.focus, by: 1)
        case .focusPrevious: view.focus = next(view.focus, by: -1)
        case .up: move(&view, dx: 0, dy: -1, context: context)
        case .down: move(&view, dx: 0, dy: 1, context: context)
        case .left: move(&view, dx: -1, dy: 0, context: context)
        case .right: move(&view, dx: 1, dy: 0, context: context)
        }
        return []
    }

    private static func confirmQuit(_ key: Key, view: inout ViewState, context: KeyContext) -> [DashboardCommand] {
        switch key {
        case .character("y"), .character("Y"):
            view.overlay = .none
            guard context.live else { return [.quit] }
            view.stopping = true
            return [.control(.stop)]
        case .character("n"), .character("N"), .escape:
            view.overlay = .none
        default:
            break
        }
        return []
    }

    /// Arrows select a rank on the mesh, except in the focused log pane where up/down scroll it.
    private static func move(_ view: inout ViewState, dx: Int, dy: Int, context: KeyContext) {
        if view.focus == .log && dx == 0 {
            view.logScroll = max(0, view.logScroll - dy)
            return
        }
        let rows = max(1, context.replicate), columns = max(1, context.shard)
        let current = min(max(0, view.selectedRank), rows * columns - 1)
        let r = min(rows - 1, max(0, current / columns + dy))
        let s = min(columns - 1, max(0, current % columns + dx))
        view.selectedRank = r * columns + s
    }

    private static func step(_ levels: [Double], from value: Double, by delta: Int) -> Double {
        let nearest = levels.indices.min { abs(levels[$0] - value) < abs(levels[$1] - value) } ?? 0
        return levels[min(levels.count - 1, max(0, nearest + delta))]
    }

    private static func stepZoom(_ zoom: Int?, by delta: Int) -> Int? {
        let levels = ViewState.zoomLevels
        let index = levels.firstIndex { $0 == zoom } ?? 0
        return levels[min(levels.count - 1, max(0, index + delta))]
    }

    private static func next(_ focus: ViewState.Focus, by delta: Int) -> ViewState.Focus {
        let all = ViewState.Focus.allCases
        let index = all.firstIndex(of: focus) ?? 0
        return all[(index + delta + all.count) % all.count]
    }
}
