/// How the user looks at the run (everything keys change), separate from the run itself.
public struct ViewState: Equatable, Sendable {
    public enum Focus: CaseIterable, Sendable { case mesh, loss, log }
    public enum Overlay: Equatable, Sendable { case none, help, details, quitConfirm, meshPicker }

    public var focus: Focus = .mesh
    public var selectedRank = 0
    public var overlay: Overlay = .none
    /// TensorBoard's smoothing weight (0: raw, 0.99: very smooth); see `Smoothing`.
    public var smoothing = 0.6
    public var logScale = false
    /// Show only the last `zoom` steps (nil: the whole run).
    public var zoom: Int?
    public var showGradNorm = false
    public var showLR = false
    public var themeIndex = 0
    /// Lines scrolled back from the newest in the log pane.
    public var logScroll = 0
    /// The user confirmed quitting a live run: waiting for it to end.
    public var stopping = false
    /// The mesh picker's world size, selection and predictions (`m`).
    public var picker = MeshPickerView()

    public init() {}

    /// The smoothing weights `s` / `S` step through.
    public static let smoothingLevels: [Double] = [0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.99]
    /// The windows `+` / `-` step through, nil (whole run) first.
    public static let zoomLevels: [Int?] = [nil, 10_000, 1_000, 200, 50]
}
