/// What a terminal can show, from the best to none, and how a theme's `Color` becomes one of
/// its colour numbers.
public enum ColorDepth: Equatable, Sendable {
    /// 24-bit colour numbers (terminfo `RGB`, or COLORS >= 2^24): 0xRRGGBB is the colour.
    case direct
    /// 256 palette entries the program may redefine (COLORTERM=truecolor on a terminal with
    /// `ccc`/`initc`): each new RGB value gets its own entry from 16...255.
    case redefinable
    case indexed256
    case indexed16
    case indexed8
    /// No colour at all: attributes only.
    case monochrome

    /// Picks the depth from the terminal's capabilities and the COLORTERM variable.
    public static func detect(hasColors: Bool, colors: Int, rgbFlag: Bool, canChangeColor: Bool,
                              colorterm: String?) -> ColorDepth {
        guard hasColors, colors >= 8 else { return .monochrome }
        if rgbFlag || colors >= 1 << 24 { return .direct }
        let announcesTruecolor = colorterm.map { ["truecolor", "24bit"].contains($0.lowercased()) } ?? false
        if announcesTruecolor, canChangeColor, colors >= 256 { return .redefinable }
        if colors >= 256 { return .indexed256 }
        return colors >= 16 ? .indexed16 : .indexed8
    }

    /// Whether 24-bit values reach the screen as they are.
    public var isTruecolor: Bool { self == .direct || self == .redefinable }

    /// The colour number for `color` at this depth (-1: the terminal's default), for every
    /// depth but `.redefinable`, whose RGB values need an allocated entry (see `PaletteSlots`).
    public func number(for color: Color) -> Int32 {
        switch (self, color) {
        case (_, .default), (.monochrome, _):
            return -1
        case (.direct, .rgb(let r, let g, let b)):
            // Numbers below 8 mean the 8 basic colours in direct-colour terminfo: nudge them.
            return max(8, Int32(r) << 16 | Int32(g) << 8 | Int32(b))
        case (.direct, .indexed(let i)):
            if i < 8 { return Int32(i) }
            let (r, g, b) = XtermPalette.rgb(of: i)
            return max(8, Int32(r) << 16 | Int32(g) << 8 | Int32(b))
        case (.indexed256, .rgb(let r, let g, let b)), (.redefinable, .rgb(let r, let g, let b)):
            return Int32(XtermPalette.nearest256(r, g, b))
        case (.indexed256, .indexed(let i)), (.redefinable, .indexed(let i)):
            return Int32(i)
        case (.indexed16, _), (.indexed8, _):
            let count = self == .indexed16 ? 16 : 8
            if case .indexed(let i) = color, Int(i) < count { return Int32(i) }
            let (r, g, b) = color.rgbValue
            return Int32(XtermPalette.nearestBasic(r, g, b, count: count))
        }
    }
}

extension Color {
    /// The RGB value (indexed colours as xterm's defaults; the default colour as black).
    var rgbValue: (UInt8, UInt8, UInt8) {
        switch self {
        case .default: return (0, 0, 0)
        case .rgb(let r, let g, let b): return (r, g, b)
        case .indexed(let i): return XtermPalette.rgb(of: i)
        }
    }
}
