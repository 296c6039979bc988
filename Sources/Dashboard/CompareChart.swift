import Foundation
import Terminal

/// One curve of an overlay: positions on the x axis (increasing) and values, drawn in the style
/// of run `run` (`RunPalette`); a negative `run` is a band (the rtol line), drawn under the runs.
struct ChartSeries {
    var xs: [Int]
    var values: [Double]
    var run: Int
}

/// Values to pixel rows and the labels of the y axis: `YScale` (linear or log10), or
/// `DecadeScale` for differences.
protocol ChartScale {
    func pixel(_ value: Double, height: Int) -> Int?
    /// The label of cell row `row` of `rows` (0: the top).
    func label(row: Int, rows: Int) -> String
    /// The rows that get a label.
    func labelledRows(_ rows: Int) -> [Int]
}

extension ChartScale {
    /// The top, the bottom, and the middle of five rows or more.
    func labelledRows(_ rows: Int) -> [Int] {
        Array(Set([0, rows - 1] + (rows >= 5 ? [(rows - 1) / 2] : []))).filter { $0 >= 0 }.sorted()
    }
}

extension YScale: ChartScale {
    /// The value at the cell row's middle.
    func label(row: Int, rows: Int) -> String {
        Format.number(value(atFraction: 1 - (Double(row) + 0.5) / Double(rows)), significant: 3)
    }
}

/// A log10 scale over whole decades for differences, with the bottom cell row for zero (a
/// point identical to the first run's) and infinity (and NaN) on the top pixel row, so
/// identical and blown-up points are both on the chart and zero never hides the rtol band.
struct DecadeScale: ChartScale {
    let low: Int, high: Int  // exponents at the bottom of the decades and at the top

    /// Over the positive finite values of `values` and the `always` values (the rtol band), at
    /// most `maxDecades` decades down from the largest and one below the smallest.
    init(_ values: [[Double]], always: [Double], maxDecades: Int = 12) {
        var smallest = Double.infinity, largest = 0.0
        for v in values.joined() + always where v.isFinite && v > 0 { smallest = min(smallest, v); largest = max(largest, v) }
        if largest == 0 { smallest = 1e-6; largest = 1 }
        let top = Int(ceil(log10(largest) - 1e-9))
        let bottom = Int(floor(log10(smallest) + 1e-9)) - 1
        high = max(top, bottom + 2)
        low = max(high - maxDecades, bottom)
    }

    /// Pixel rows 0 ... height - 5 hold the decades; the last cell row (its bottom pixel) zero.
    func pixel(_ value: Double, height: Int) -> Int? {
        let zeroRow = height - 1, decadesBottom = max(0, height - 5)
        guard !value.isNaN else { return 0 }
        guard value > 0 else { return zeroRow }
        guard value.isFinite else { return 0 }
        let fraction = (log10(value) - Double(low)) / Double(high - low)
        return min(decadesBottom, max(0, Format.cells(Double(decadesBottom) * (1 - fraction))))
    }

    /// The top, the lowest decade, zero, and the middle of the decades when there is room.
    func labelledRows(_ rows: Int) -> [Int] {
        Array(Set([0, rows - 2, rows - 1] + (rows >= 6 ? [(rows - 2) / 2] : []))).filter { $0 >= 0 }.sorted()
    }

    func label(row: Int, rows: Int) -> String {
        if row == rows - 1 && rows > 1 { return "0" }
        let decades = max(1, rows - 1)
        let fraction = 1 - (Double(row) + 0.5) / Double(decades)
        return "1e\(Int((Double(low) + Double(high - low) * fraction).rounded()))"
    }
}

/// A braille plot of several runs' curves with labelled axes, for the compare view and the
/// difference panel. Without braille each run's cells show its ASCII mark. Where curves share a
/// cell, the cells along them take turns between the runs; the band is drawn under them.
struct CompareChart {
    let draw: DrawContext
    /// Each run's style, by run index.
    let styles: [Style]
    static let axisWidth = 8

    /// Draws `series` (and `band`, under them in `bandStyle`) in `area`: y labels on the left,
    /// the x axis and its labels (`xLabel`) on the last two rows.
    func render(_ buffer: inout Buffer, _ area: Rect, series: [ChartSeries], scale: ChartScale,
                band: [ChartSeries] = [], bandStyle: Style? = nil, xLabel: (Int) -> String) {
        let plot = Rect(x: area.x + Self.axisWidth, y: area.y, width: area.width - Self.axisWidth, height: area.height - 2)
        guard plot.width >= 4, plot.height >= 1 else { return }
        let all = (series + band).flatMap(\.xs)
        guard let first = all.min(), let last = all.max() else {
            buffer.put("no points to show", x: plot.x + 1, y: plot.y, style: draw.theme.style(.inactive))
            return
        }
        let xs = XScale(first: first, last: last, pixels: plot.width * 2)
        let height = plot.height * 4
        // A canvas per curve: where curves overlap (identical runs), each cell shows one of them
        // in turn along the line, so every run's colour (or mark) stays in sight.
        let canvases = (band + series).map { line -> (canvas: BrailleCanvas, run: Int) in
            var canvas = BrailleCanvas(width: plot.width, height: plot.height)
            // Non-finite values are drawn at the scale's edge, not left out (PixelColumns skips them).
            let values = line.values.map { $0.isFinite ? $0 : ($0.isNaN || $0 > 0 ? Double.greatestFiniteMagnitude : -Double.greatestFiniteMagnitude) }
            let columns = PixelColumns(steps: line.xs, values: values, range: 0 ..< line.xs.count, xs: xs)
            canvas.plot(series: 0, columns: columns, ys: { scale.pixel($0, height: height) })
            return (canvas, line.run)
        }
        let lineStyle = bandStyle ?? draw.theme.style(.graphText)
        for row in 0 ..< plot.height {
            for column in 0 ..< plot.width {
                let index = row * plot.width + column
                var dots: UInt8 = 0, runs: [Int] = []
                for (canvas, run) in canvases where canvas.dots[index] != 0 {
                    dots |= canvas.dots[index]
                    if run >= 0 { runs.append(run) }
                }
                guard dots != 0 else { continue }
                let run = runs.isEmpty ? nil : runs[column % runs.count]
                let style = run.map { styles[$0 % max(1, styles.count)] } ?? lineStyle
                let glyph: Unicode.Scalar = draw.glyphs.braille ? Glyphs.braille(dots) : run.map(RunPalette.asciiMark) ?? "-"
                buffer.set(plot.x + column, plot.y + row, glyph, style)
            }
        }
        axes(&buffer, area, plot, scale: scale, first: first, last: last, xLabel: xLabel)
    }

    private func axes(_ buffer: inout Buffer, _ area: Rect, _ plot: Rect, scale: ChartScale, first: Int, last: Int,
                      xLabel: (Int) -> String) {
        let label = draw.theme.style(.graphText)
        let axisX = plot.x - 1
        for y in plot.y ..< plot.maxY { buffer.set(axisX, y, draw.glyphs.vertical, label) }
        for x in plot.x ..< plot.maxX { buffer.set(x, plot.maxY, draw.glyphs.horizontal, label) }
        buffer.set(axisX, plot.maxY, draw.glyphs.bottomLeft, label)
        for offset in scale.labelledRows(plot.height) {
            let row = plot.y + offset
            let text = scale.label(row: offset, rows: plot.height)
            buffer.put(Format.fit(text, Self.axisWidth - 1, ellipsis: draw.glyphs.ellipsis), x: area.x, y: row, style: label)
        }
        let labelRow = plot.maxY + 1
        let lastText = xLabel(last)
        buffer.put(xLabel(first), x: plot.x, y: labelRow, style: label)
        buffer.put(lastText, x: plot.maxX - lastText.count, y: labelRow, style: label)
        if last > first, plot.width >= 30 {
            let text = xLabel(first + (last - first) / 2)
            buffer.put(text, x: plot.x + plot.width / 2 - text.count / 2, y: labelRow, style: label)
        }
    }
}
