/// How a meshtop process ends: one status per class of outcome, the same for `meshtop` and
/// `meshtop-rank` and for every command (README, "Exit statuses").
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// The command did what it was asked (a run completed, or was stopped by the user).
    case success = 0
    /// Something went wrong after the work had started (a rank died, the loss diverged, a
    /// file could not be written).
    case failed = 1
    /// An input was refused before anything was started or written: an option, its value, a
    /// combination of options, a config key, or a file one of them names.
    case refused = 2
    /// The ranks stopped so that the launcher can restart them on another mesh.
    case reconfigure = 3
}
