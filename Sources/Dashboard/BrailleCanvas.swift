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

    /// Draws a series from its pixel columns (see `PixelColumns`), y by `ys` (top down; nil:
    /// not drawable, e.g. not positive on a log scale). Columns are joined to their neighbours.
    mutating func plot(series: Int8, columns: PixelColumns, ys: (Double) -> Int?) {
        guard pixelWidth > 0, pixelHeight > 0 else { return }
        let (low, high, first, last) = (columns.low, columns.high, columns.first, columns.last)
        var previous: (x: Int, y: Int)?
        for x in 0 ..< min(pixelWidth, low.count) where low[x] <= high[x] {
            guard let a = ys(low[x]), let b = ys(high[x]), let entry = ys(first[x]), let exit = ys(last[x]) else {
                previous = nil
                continue
            }
            var top = min(a, b), bottom = max(a, b)
            if let p = previous {
                if p.x == x - 1 {
                    top = min(top, p.y); bottom = max(bottom, p.y)  // a vertical join to the neighbour
                } else {
                    // Columns with no point between: a straight line from the neighbour's exit.
                    let slope = Double(entry - p.y) / Double(x - p.x)
                    for gap in p.x + 1 ..< x {
                        let from = Int((Double(p.y) + slope * Double(gap - 1 - p.x)).rounded())
                        let to = Int((Double(p.y) + slope * Double(gap - p.x)).rounded())
                        fill(column: gap, min(from, to), max(from, to), series: series)
                    }
                    let join = Int((Double(p.y) + slope * Double(x - 1 - p.x)).rounded())
                    top = min(top, join); bottom = max(bottom, join)
                }
            }
            fill(column: x, top, bottom, series: series)
            previous = (x, exit)
        }
    }

    private mutating func fill(column x: Int, _ top: Int, _ bottom: Int, series: Int8) {
        let from = max(0, top), to = min(pixelHeight - 1, bottom)
        guard from <= to else { return }
        for y in from ... to { set(x, y, series: series) }
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

/// A series reduced to pixel columns: per column the min, max, first and last finite value
/// (empty columns have low > high). One cheap pass over the points, however many; everything
/// after it (the scale, the mapping to pixels, a log10) works per column.
struct PixelColumns {
    private(set) var low: [Double], high: [Double], first: [Double], last: [Double]

    init(steps: [Int], values: [Double], range: Range<Int>, xs: XScale) {
        let width = max(0, xs.pixels)
        low = [Double](repeating: .infinity, count: width)
        high = [Double](repeating: -.infinity, count: width)
        first = [Double](repeating: .nan, count: width)
        last = [Double](repeating: .nan, count: width)
        // Steps increase, so the column only moves right: keep its figures in locals (no
        // closure captures them, so they stay in registers) and store them when it changes.
        var column = -1, columnLow = 0.0, columnHigh = 0.0, columnFirst = 0.0, columnLast = 0.0
        for i in range {
            let value = values[i]
            guard value.isFinite else { continue }
            let x = xs.pixel(steps[i])
            if x != column {
                if column >= 0 && column < width {
                    low[column] = columnLow; high[column] = columnHigh; first[column] = columnFirst; last[column] = columnLast
                }
                column = x
                columnLow = value; columnHigh = value; columnFirst = value
            } else {
                columnLow = min(columnLow, value)
                columnHigh = max(columnHigh, value)
            }
            columnLast = value
        }
        if column >= 0 && column < width {
            low[column] = columnLow; high[column] = columnHigh; first[column] = columnFirst; last[column] = columnLast
        }
    }
}
