import Foundation
import Telemetry
import Terminal

/// The dashboard's loop over a `Screen`: folds what `feed` receives into the state, turns keys
/// into view changes and commands, and redraws when something changed, at most every 100 ms
/// (a resize at once).
///
/// `run()` returns, after giving the terminal back (`screen.restore()`), when:
/// - the user quits: `q` on a replay or a run that has ended; on a live run `q` asks first and `y`
///   emits `.control(.stop)`, then the app waits for `.ended` (pushed by the caller when the
///   job is over) and returns; a second `q` while waiting quits at once;
/// - or the caller asks with `feed.requestExit()` (e.g. on Ctrl-C).
/// `.quit` is emitted before returning on a user's quit. `onCommand` runs on `run()`'s thread.
///
/// Pause, resume and checkpoint show at once as the phase (`paused`, `running`,
/// `checkpointing`), before the run confirms; a `.phase` input from the caller overrides it.
public final class DashboardApp {
    public let feed = DashboardFeed()
    public var onCommand: (DashboardCommand) -> Void
    /// What the app shows; read it after `run()` returns (tests).
    public private(set) var state: DashboardState
    public private(set) var view = ViewState()

    private let screen: Screen
    private let themes: [Theme]
    private let glyphs: Glyphs
    private let live: Bool
    /// The shortest time between two frames.
    public var frameInterval = 0.1
    /// The mesh picker's predictions: every mesh of a world size for the run of this hello
    /// (FrontendCLI's `PickerPlanner.planner()`); nil: the picker shows measured figures only. Set it before `run()`.
    public var planner: ((Hello, Int) -> [MeshCandidate])?

    public init(screen: Screen, themes: [Theme], themeIndex: Int = 0, glyphs: Glyphs, live: Bool,
                runName: String? = nil, maxWorldSize: Int = DashboardApp.defaultMaxWorldSize,
                onCommand: @escaping (DashboardCommand) -> Void = { _ in }) {
        self.screen = screen
        self.themes = themes.isEmpty ? [.defaultDark] : themes
        self.glyphs = glyphs
        self.live = live
        self.onCommand = onCommand
        view.picker.maxWorldSize = max(1, maxWorldSize)
        state = DashboardState(runName: runName)
        view.themeIndex = min(max(0, themeIndex), self.themes.count - 1)
    }

    /// Runs until the user quits or `feed.requestExit()`; see the type's notes.
    public func run() {
        defer { screen.restore() }
        var lastDraw = -Double.infinity
        var dirty = true
        var shownSecond = -1
        while true {
            let (inputs, exit) = feed.drain()
            // What came with the exit request (the run's done, its end) still counts: the caller
            // reads `state` afterwards.
            for input in inputs { state.apply(input) }
            if exit { return }
            if !inputs.isEmpty { dirty = true }
            if view.stopping && state.hasEnded {
                onCommand(.quit)
                return
            }
            let second = Int(Date().timeIntervalSince1970)
            if ticking && second != shownSecond { dirty = true }
            let now = Self.monotonic()
            if dirty && now - lastDraw >= frameInterval {
                drawFrame()
                lastDraw = now
                shownSecond = second
                dirty = false
            }
            let wait = dirty ? max(0, lastDraw + frameInterval - now) : frameInterval
            guard let key = screen.readKey(timeout: wait) else { continue }
            if key == .resize {
                drawFrame()
                lastDraw = Self.monotonic()
                continue
            }
            dirty = true
            if handle(key) { return }
        }
    }

    /// The elapsed clock moves while a live run goes on.
    private var ticking: Bool { live && state.startTime != nil && !state.hasEnded && state.phase.isLive }

    /// Applies a key; true when the app should return.
    private func handle(_ key: Key) -> Bool {
        let mesh = state.mesh
        let context = KeyContext(live: live && !state.hasEnded && state.phase.isLive, paused: state.phase == .paused,
                                 replicate: mesh?.replicate ?? 1, shard: mesh?.shard ?? 1, themeCount: themes.count,
                                 meshSwitch: state.meshSwitch)
        if view.overlay == .meshPicker { view.picker.candidates = pickerCandidates() }  // Enter reads them
        for command in KeyMap.handle(key, view: &view, context: context) {
            switch command {
            case .control(.pause): state.apply(.phase(.paused))
            case .control(.resume): state.apply(.phase(.running))
            case .control(.checkpoint): state.apply(.phase(.checkpointing))
            case .reconfigure(let replicate, let shard):
                state.apply(.switchRequested(replicate: replicate, shard: shard))
                state.apply(.phase(.checkpointing))
            case .retryPreviousMesh:
                if case .failed(_, let replicate, let shard) = state.meshSwitch {
                    state.apply(.switchRequested(replicate: replicate, shard: shard))
                }
                state.apply(.phase(.relaunching))
            default: break
            }
            onCommand(command)
            if command == .quit { return true }
        }
        return false
    }

    private func drawFrame() {
        var frame = Buffer(width: screen.width, height: screen.height)
        let theme = themes[view.themeIndex % themes.count]
        if view.overlay == .meshPicker { view.picker.candidates = pickerCandidates() }
        DashboardView.render(state, view, theme: theme, glyphs: glyphs, live: live,
                             now: ticking ? Date().timeIntervalSince1970 : nil, into: &frame)
        screen.draw(frame)
    }

    /// `--max-np`'s default: twice the cores.
    public static var defaultMaxWorldSize: Int { ProcessInfo.processInfo.activeProcessorCount * 2 }

    /// Predictions for the picker's world size and for every world size the run has used.
    private func pickerCandidates() -> [MeshCandidate] {
        guard let planner, let hello = state.hello else { return [] }
        var worlds = [view.picker.worldSize]
        for used in state.usedMeshes where !worlds.contains(used.replicate * used.shard) { worlds.append(used.replicate * used.shard) }
        return worlds.flatMap { planner(hello, $0) }
    }

    static func monotonic() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
