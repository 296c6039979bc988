import CNcursesw
import Foundation

/// The terminal as a `Screen`, through ncursesw: cells are written only where the frame
/// changed since the last draw, colours are drawn as 24-bit values where the terminal can
/// (else the nearest of 256, 16 or 8), and the terminal is given back on `restore()`, at exit
/// and on a crash. Ctrl-C stays a signal (cbreak, not raw): the launcher counts SIGINTs.
/// One screen at a time per process.
public final class NcursesScreen: Screen {
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    public let colorDepth: ColorDepth
    public var truecolor: Bool { colorDepth.isTruecolor }
    /// Whether the environment's own locale is UTF-8 (if not, the screen still runs in C.UTF-8,
    /// but the terminal probably cannot show box drawing and braille: prefer `Glyphs.ascii`).
    public let unicodeLocale: Bool

    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private let ownedFiles: [UnsafeMutablePointer<FILE>]
    private let colors: ColorPairs
    private var lastFrame: Buffer?
    /// A resize happened: the next draw clears the terminal and writes every cell.
    private var clearNext = false
    private var restored = false

    /// A screen on the controlling terminal (/dev/tty), so it works whatever stdout is.
    public convenience init(terminalType: String? = nil) throws {
        guard let output = fopen("/dev/tty", "w") else {
            throw StartError(description: "cannot open /dev/tty: meshtop's dashboard needs a terminal")
        }
        guard let input = fopen("/dev/tty", "r") else {
            fclose(output)
            throw StartError(description: "cannot open /dev/tty for reading: meshtop's dashboard needs a terminal")
        }
        try self.init(terminalType: terminalType, output: output, input: input, ownsFiles: true)
    }

    /// A screen on the given streams (tests: the two ends of a pseudo-terminal). `terminalType`
    /// nil means $TERM. `environment` is read for COLORTERM.
    public init(terminalType: String?, output: UnsafeMutablePointer<FILE>, input: UnsafeMutablePointer<FILE>,
                ownsFiles: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        unicodeLocale = Self.selectUTF8Locale()
        guard let screen = TerminalRestorer.keepingInterruptHandlers({ newterm(terminalType, output, input) }) else {
            if ownsFiles { fclose(output); fclose(input) }
            let name = terminalType ?? environment["TERM"] ?? "(TERM not set)"
            throw StartError(description: "cannot start the terminal '\(name)': unknown to terminfo or not a terminal")
        }
        set_term(screen)
        self.screen = screen
        window = mt_stdscr()
        ownedFiles = ownsFiles ? [output, input] : []
        cbreak()
        noecho()
        keypad(window, true)
        curs_set(0)
        // A lone Esc is a key: wait only briefly for the rest of an escape sequence.
        set_escdelay(25)

        var defaultColors = false
        if has_colors() {
            start_color()
            defaultColors = use_default_colors() == OK
        }
        colorDepth = ColorDepth.detect(
            hasColors: has_colors(), colors: Int(mt_colors()), rgbFlag: tigetflag("RGB") > 0 || tigetnum("RGB") > 0,
            canChangeColor: can_change_color(), colorterm: environment["COLORTERM"])
        colors = ColorPairs(depth: colorDepth, defaultColors: defaultColors, pairLimit: mt_color_pairs(), colorCount: mt_colors())
        TerminalRestorer.installOnce()
        TerminalRestorer.active = screen
    }

    deinit {
        restore()
        delscreen(screen)
        for file in ownedFiles { fclose(file) }
    }

    public var width: Int { Int(mt_getmaxx(window)) }
    public var height: Int { Int(mt_getmaxy(window)) }

    public func draw(_ frame: Buffer) {
        guard !restored else { return }
        set_term(screen)
        let sameSize = lastFrame.map { $0.width == frame.width && $0.height == frame.height } ?? false
        let full = clearNext || !sameSize
        if full { werase(window) }
        if clearNext { clearok(window, true) }
        clearNext = false
        colors.recycled = false
        let columns = width, rows = height
        for change in frame.changes(since: full ? nil : lastFrame) where change.x < columns && change.y < rows {
            let style = change.cell.style
            // The bottom-right cell reports ERR (the cursor cannot move past it) but is drawn.
            _ = mt_put_wch(window, Int32(change.y), Int32(change.x), wchar_t(bitPattern: change.cell.scalar.value),
                           Self.attributes(style.attributes), colors.pair(for: style))
        }
        wnoutrefresh(window)
        doupdate()
        // Pairs redefined mid-frame may have recoloured cells drawn earlier: redraw all next time.
        lastFrame = colors.recycled ? nil : frame
    }

    /// Waits in slices of at most 50 ms, the first without waiting: ncurses reports a resize
    /// only when a read is interrupted or ends, and the SIGWINCH may have come before the read
    /// or gone to another thread; slicing bounds the delay of a resize to 50 ms.
    public func readKey(timeout: Double) -> Key? {
        guard !restored else { return nil }
        set_term(screen)
        let forever = !timeout.isFinite || timeout < 0
        let deadline = Date().addingTimeInterval(forever ? 0 : timeout)
        var slice: Int32 = 0
        while true {
            wtimeout(window, slice)
            var code: wint_t = 0
            let kind = wget_wch(window, &code)
            if kind != ERR, let key = Self.decode(code, isKeyCode: kind == KEY_CODE_YES) {
                if key == .resize { clearNext = true }
                return key
            }
            // Nothing yet, or a key meshtop does not use (a control character): keep waiting.
            let remaining = deadline.timeIntervalSinceNow
            if !forever, remaining <= 0 { return nil }
            slice = forever ? 50 : Int32(min(50, (remaining * 1000).rounded(.up)))
        }
    }

    public func restore() {
        guard !restored else { return }
        restored = true
        if TerminalRestorer.active == screen { TerminalRestorer.active = nil }
        // Even when the exit hook got here first: a second endwin is harmless (ERR).
        set_term(screen)
        endwin()
    }

    static func attributes(_ attributes: Attributes) -> attr_t {
        var result = mt_a_normal()
        if attributes.contains(.bold) { result |= mt_a_bold() }
        if attributes.contains(.dim) { result |= mt_a_dim() }
        if attributes.contains(.reverse) { result |= mt_a_reverse() }
        if attributes.contains(.underline) { result |= mt_a_underline() }
        if attributes.contains(.italic) { result |= mt_a_italic() }
        return result
    }

    /// The character type from the environment (only LC_CTYPE: numbers keep printing with a
    /// point); when that is not UTF-8, C.UTF-8, so wide characters still reach ncurses.
    /// Returns whether the environment's was UTF-8.
    private static func selectUTF8Locale() -> Bool {
        setlocale(LC_CTYPE, "")
        let codeset = String(cString: nl_langinfo(nl_item(CODESET)))
        let isUTF8 = codeset.uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
        if !isUTF8 { setlocale(LC_CTYPE, "C.UTF-8") }
        return isUTF8
    }
}
