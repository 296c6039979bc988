/// xterm's indexed colours and the nearest-colour maps a backend needs when a terminal cannot
/// draw 24-bit colour: to the 256-colour palette (the 6x6x6 cube and the 24 greys, never 0-15,
/// which users re-theme), and to the 16 or 8 basic colours on lesser terminals.
public enum XtermPalette {
    /// The channel levels of the 6x6x6 cube (indices 16...231).
    public static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// xterm's default values for the 16 basic colours.
    public static let basic: [(UInt8, UInt8, UInt8)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255),
        (255, 255, 255),
    ]

    /// The RGB value of indexed colour `index` in xterm's default palette.
    public static func rgb(of index: UInt8) -> (UInt8, UInt8, UInt8) {
        let i = Int(index)
        if i < 16 { return basic[i] }
        if i >= 232 { let v = UInt8(8 + 10 * (i - 232)); return (v, v, v) }
        let c = i - 16
        return (UInt8(cubeLevels[c / 36]), UInt8(cubeLevels[c / 6 % 6]), UInt8(cubeLevels[c % 6]))
    }

    /// Squared Euclidean distance in RGB.
    public static func distance(_ a: (UInt8, UInt8, UInt8), _ b: (UInt8, UInt8, UInt8)) -> Int {
        let dr = Int(a.0) - Int(b.0), dg = Int(a.1) - Int(b.1), db = Int(a.2) - Int(b.2)
        return dr * dr + dg * dg + db * db
    }

    /// The index (16...255) nearest to (r, g, b). The distance separates by channel, so the
    /// nearest cube entry takes the nearest level per channel, and the nearest grey is the grey
    /// nearest the channels' mean; the closer of the two wins (the cube on a tie).
    public static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        func level(_ v: UInt8) -> Int {
            cubeLevels.indices.min { abs(cubeLevels[$0] - Int(v)) < abs(cubeLevels[$1] - Int(v)) }!
        }
        let cube = UInt8(16 + 36 * level(r) + 6 * level(g) + level(b))
        let mean = (Double(r) + Double(g) + Double(b)) / 3
        let greyStep = min(23, max(0, Int(((mean - 8) / 10).rounded())))
        let grey = UInt8(232 + greyStep)
        let target = (r, g, b)
        return distance(rgb(of: grey), target) < distance(rgb(of: cube), target) ? grey : cube
    }

    /// The nearest of the first `count` basic colours (16 or 8).
    public static func nearestBasic(_ r: UInt8, _ g: UInt8, _ b: UInt8, count: Int = 16) -> UInt8 {
        let candidates = 0 ..< min(16, max(1, count))
        return UInt8(candidates.min { distance(basic[$0], (r, g, b)) < distance(basic[$1], (r, g, b)) }!)
    }
}
