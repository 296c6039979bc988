import CNcursesw

/// The colour pairs of one ncurses screen, made on demand: each (foreground, background) pair
/// of colour numbers gets an extended pair the first time a cell needs it. On a `.redefinable`
/// terminal each new RGB value also gets a palette entry of its own (16...255).
final class ColorPairs {
    let depth: ColorDepth
    /// Whether -1 (the terminal's own colours) is allowed (use_default_colors succeeded).
    let defaultColors: Bool
    private let pairLimit: Int32
    private var pairs: [Int64: Int32] = [:]
    private var nextPair: Int32 = 1
    private var slots: [UInt32: Int32] = [:]
    private var nextSlot: Int32 = 16
    private let lastSlot: Int32
    /// Set when the pairs ran out and were recycled: cells already on screen may have changed
    /// colour, so the next frame must be drawn in full.
    var recycled = false

    init(depth: ColorDepth, defaultColors: Bool, pairLimit: Int32, colorCount: Int32) {
        self.depth = depth
        self.defaultColors = defaultColors
        self.pairLimit = pairLimit
        lastSlot = min(colorCount - 1, 255)
    }

    /// The pair number for `style`'s colours (0: the terminal's default pair).
    func pair(for style: Style) -> Int32 {
        guard depth != .monochrome else { return 0 }
        let fg = number(for: style.foreground, foreground: true)
        let bg = number(for: style.background, foreground: false)
        if fg == -1, bg == -1 { return 0 }
        let key = Int64(fg) << 32 | Int64(UInt32(bitPattern: bg))
        if let pair = pairs[key] { return pair }
        if nextPair >= pairLimit {
            pairs.removeAll()
            nextPair = 1
            recycled = true
        }
        let pair = nextPair
        nextPair += 1
        guard init_extended_pair(pair, fg, bg) == OK else { return 0 }
        pairs[key] = pair
        return pair
    }

    private func number(for color: Color, foreground: Bool) -> Int32 {
        let n = depth == .redefinable ? slot(for: color) : depth.number(for: color)
        if n == -1, !defaultColors { return foreground ? 7 : 0 }
        return n
    }

    /// A redefined palette entry holding `color` exactly; when the entries run out, the
    /// nearest of those already defined.
    private func slot(for color: Color) -> Int32 {
        switch color {
        case .default: return -1
        case .indexed(let i) where i < 16: return Int32(i)
        default: break
        }
        let (r, g, b) = color.rgbValue
        let key = UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)
        if let slot = slots[key] { return slot }
        if nextSlot <= lastSlot {
            let slot = nextSlot
            // ncurses takes colour components in 0...1000.
            // Rounded up: terminfo scales back with a floor (x * 255 / 1000), which then gives v again.
            func scale(_ v: UInt8) -> Int32 { (Int32(v) * 1000 + 254) / 255 }
            if init_extended_color(slot, scale(r), scale(g), scale(b)) == OK {
                nextSlot += 1
                slots[key] = slot
                return slot
            }
        }
        let target = (r, g, b)
        let nearest = slots.min { one, other in
            XtermPalette.distance(Self.rgb(one.key), target) < XtermPalette.distance(Self.rgb(other.key), target)
        }
        return nearest?.value ?? Int32(XtermPalette.nearest256(r, g, b))
    }

    private static func rgb(_ key: UInt32) -> (UInt8, UInt8, UInt8) {
        (UInt8(key >> 16 & 0xFF), UInt8(key >> 8 & 0xFF), UInt8(key & 0xFF))
    }
}
