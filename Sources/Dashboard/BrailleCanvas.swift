import Terminal

/// A plotting surface of 2x4 dots per cell (braille), with line drawing by pixel column:
/// each column keeps the span of y the series covers there, so a frame costs one pass over the
/// visible points plus the pixels, however long the history. Without braille glyphs the dots of
/// a cell become one ASCII character.
struct BrailleCanvas {
    let width: Int, height: Int  // cells
    var pixelWidth: Int { width * 2 }
    var pixelHeight: Int { height * 4 }
    private(set) var dots: [UInt8]
    /// Which series last drew in each cell (-1: none): its style.
    private(set) var owner: [Int8]

    init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        dots = [UInt8](repeating: 0, count: self.width * self.height)
        owner = [Int8](repeating: -1, count: self.width * self.height)
    }

    /// Bits of the dots of a braille cell, by (column, row) within the cell.
    private static let bits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

    mutating func set(_ px: Int, _ py: Int, series: Int8) {
        guard px >= 0, py >= 0, px < pixelWidth, py < pixelHeight else { return }
        let index = (py / 4) * width + px / 2
        dots[index] |= Self.bits[px % 2][py % 4]
        owner[index] = series
    }

    /// Draws the line through (x[i], y[i]) for `points` in order, x in pixels left to right and
    /// y in pixels top down (nil: a gap, the line breaks there).
    mutating func plot(series: Int8, points: (Int) -> (x: Int, y: Int)?, count: Int) {
        guard pixelWidth > 0, pixelHeight > 0 else { return }
        var low = [Int](repeating: .max, count: pixelWidth)
        var high = [Int](repeating: .min, count: pixelWidth)
        var previous: (x: Int, y: Int)?
        func cover(_ x: Int, _ a: Int, _ b: Int) {
            guard x >= 0, x < pixelWidth else { return }
            low[x] = min(low[x], a, b)
            high[x] = max(high[x], a, b)
        }
        for i in 0 ..< count {
            guard let point = points(i) else { previous = nil; continue }
            if let p = previous, point.x > p.x {
                // Each column between covers the line's y from its left edge to its right edge.
                let slope = Double(point.y - p.y) / Double(point.x - p.x)
                for x in p.x ..< point.x {
                    let a = Int((Double(p.y) + slope * Double(x - p.x)).rounded())
                    let b = Int((Double(p.y) + slope * Double(x + 1 - p.x)).rounded())
                    cover(x, a, b)
                }
            }
            cover(point.x, point.y, point.y)
            previous = point
        }
        for x in 0 ..< pixelWidth where low[x] <= high[x] {
            for y in max(0, low[x]) ... min(pixelHeight - 1, high[x]) { set(x, y, series: series) }
        }
    }

    /// Writes the cells that have dots into `buffer` at (x, y), each in its series' style.
    func draw(into buffer: inout Buffer, x: Int, y: Int, styles: [Style], braille: Bool) {
        for row in 0 ..< height {
            for column in 0 ..< width {
                let index = row * width + column
                let cellDots = dots[index]
                guard cellDots != 0 else { continue }
                let style = styles[Int(max(0, owner[index])) % max(1, styles.count)]
                let glyph = braille ? Glyphs.braille(cellDots) : Self.ascii(cellDots)
                buffer.set(x + column, y + row, glyph, style)
            }
        }
    }

    /// One ASCII character for a cell's dots: where they sit, high or low, or a vertical run.
    static func ascii(_ dots: UInt8) -> Unicode.Scalar {
        var rows: [Int] = []
        for row in 0 ..< 4 where dots & (bits[0][row] | bits[1][row]) != 0 { rows.append(row) }
        guard let top = rows.first, let bottom = rows.last else { return " " }
        if bottom - top >= 2 { return "|" }
        switch (top + bottom) / 2 {
        case 0: return "'"
        case 1: return "-"
        case 2: return "-"
        default: return "."
        }
    }
}
