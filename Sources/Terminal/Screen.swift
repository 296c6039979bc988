/// A key press, decoded from the terminal's input.
public enum Key: Hashable, Sendable {
    case character(Character)
    case up, down, left, right
    case enter, escape, tab, backTab, backspace
    case pageUp, pageDown, home, end
    case function(Int)
    /// The terminal changed size; read `Screen.size` again.
    case resize
}

/// Where a frame goes: the ncurses terminal, or (in tests) memory. A screen keeps the last
/// frame it drew and writes only the cells that changed.
public protocol Screen: AnyObject {
    /// The size now, in cells.
    var width: Int { get }
    var height: Int { get }
    /// Whether colours are drawn with 24-bit values (else mapped to the nearest of 256).
    var truecolor: Bool { get }
    /// Writes `frame`: only its changes since the last draw, unless the size changed.
    func draw(_ frame: Buffer)
    /// The next key, waiting at most `timeout` seconds (nil: none came).
    func readKey(timeout: Double) -> Key?
    /// Gives the terminal back as it was (idempotent).
    func restore()
}
