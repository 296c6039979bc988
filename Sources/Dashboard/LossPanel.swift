import Foundation
import Terminal

/// The loss by step: a braille line chart of the raw curve and its debiased EMA, labelled axes,
/// optional grad norm and lr (each on its own scale), marks at checkpoints and mesh changes.
struct LossPanel {
    let state: DashboardState
    let view: ViewState
    let draw: DrawContext

    static let axisWidth = 8  // y labels plus the axis line

    func render(_ buffer: inout Buffer, _ rect: Rect, focused: Bool) {
        let inside = draw.box(&buffer, rect, title: title, border: .lossBox, focused: focused)
        guard inside.height >= 4, inside.width > Self.axisWidth + 4 else { return }
        let smoothed = Smoothing.debiasedEMA(state.loss.values, weight: view.smoothing)
        legend(&buffer, inside.rows(0, 1), smoothedLast: smoothed.last)
        let plot = Rect(x: inside.x + Self.axisWidth, y: inside.y + 1,
                        width: inside.width - Self.axisWidth, height: inside.height - 3 - referenceRows)
        guard let window = visibleWindow() else {
            buffer.put("waiting for the first step", x: plot.x + 1, y: plot.y, style: draw.theme.style(.inactive))
            return
        }
        var canvas = BrailleCanvas(width: plot.width, height: plot.height)
        let steps = state.loss.steps
        let first = steps[window.lowerBound]
        // The whole run's axis ends at a round step (1, 2 or 5 x 10^k, at most the run's total)
        // so the curve grows rightwards instead of rescaling, and redrawing every cell, each step.
        let lastStep = steps[window.upperBound - 1]
        let last = view.zoom == nil ? Self.roundUp(lastStep, atMost: max(lastStep, state.totalSteps ?? lastStep)) : lastStep
        let xs = XScale(first: first, last: last, pixels: canvas.pixelWidth)
        let raw = PixelColumns(steps: steps, values: state.loss.values, range: window, xs: xs)
        let smooth = PixelColumns(steps: steps, values: smoothed, range: window, xs: xs)
        let reference = referenceColumns(xs: xs, first: first, last: last)
        let scale = YScale([raw.low, raw.high, smooth.low, smooth.high] + (reference.map { [$0.low, $0.high] } ?? []), log: view.logScale)

        let pixelHeight = canvas.pixelHeight
        let ys = { (value: Double) in scale.pixel(value, height: pixelHeight) }
        if view.showLR { plotOwnScale(&canvas, state.lr, as: 3, xs: xs, from: first) }
        if view.showGradNorm { plotOwnScale(&canvas, state.gradNorm, as: 2, xs: xs, from: first) }
        if let reference { canvas.plot(series: Self.referenceSeries, columns: reference, ys: ys) }
        if view.smoothing > 0 {
            canvas.plot(series: 0, columns: raw, ys: ys)
        }
        canvas.plot(series: 1, columns: smooth, ys: ys)
        marks(&buffer, plot, xs: xs, first: first, last: last)
        canvas.draw(into: &buffer, x: plot.x, y: plot.y, styles: seriesStyles, braille: draw.glyphs.braille)
        markReference(canvas, &buffer, plot)
        axes(&buffer, inside, plot, scale: scale, first: first, last: last)
        referenceLine(&buffer, inside.rows(inside.height - 1, referenceRows))
    }

    /// The smallest 1, 2 or 5 x 10^k at or above `step`, but not above `limit`.
    static func roundUp(_ step: Int, atMost limit: Int) -> Int {
        guard step < 1_000_000_000_000_000 else { return step }  // no round number above without overflow
        var magnitude = 1
        while true {
            for factor in [1, 2, 5] where factor * magnitude >= step { return min(limit, factor * magnitude) }
            magnitude *= 10
        }
    }

    private var title: String {
        var parts = ["Loss"]
        if view.logScale { parts.append("log") }
        parts.append(view.zoom.map { "last \($0) steps" } ?? "whole run")
        return parts.joined(separator: "\(draw.sep)")
    }

    /// Indices of the loss series the zoom shows (nil: no step yet).
    private func visibleWindow() -> Range<Int>? {
        guard let last = state.loss.lastStep else { return nil }
        let start = view.zoom.map { state.loss.firstIndex(atOrAfter: last - $0 + 1) } ?? 0
        return start ..< state.loss.count
    }

    /// Raw (dim), smoothed (bright), grad norm, lr, the reference (`run --compare`).
    private var seriesStyles: [Style] {
        let t = draw.theme
        return [t.style(.inactive), t.style(.misc, [.bold]), t.style(.highlight), t.style(.graphText), referenceStyle]
    }

    private func legend(_ buffer: inout Buffer, _ row: Rect, smoothedLast: Double?) {
        var x = row.x
        func item(_ text: String, _ style: Style) {
            x += buffer.put(text, x: x, y: row.y, style: style, maxWidth: row.maxX - x) + 1
        }
        let raw = state.loss.lastValue.map { Format.number($0, significant: 4) } ?? "-"
        item("loss \(raw)", seriesStyles[0].with(.bold))
        let smooth = smoothedLast.map { Format.number($0, significant: 4) } ?? "-"
        item("smoothed \(smooth) (\(Format.number(view.smoothing, significant: 2)))", seriesStyles[1])
        // Grad norm and lr have their own scales: the legend gives their last value.
        if view.showGradNorm, let g = state.gradNorm.lastValue { item("grad norm \(Format.number(g)) (own scale)", seriesStyles[2]) }
        if view.showLR, let lr = state.lr.lastValue { item("lr \(Format.number(lr)) (own scale)", seriesStyles[3]) }
        if let text = referenceLegend { item(text, referenceStyle) }
        if !state.checkpoints.isEmpty { item("\(markGlyph) checkpoint", draw.theme.style(.misc)) }
        if !state.meshChanges.isEmpty { item("M mesh change", draw.theme.style(.title)) }
        if !state.recoveries.isEmpty { item("X failure R resumed", draw.theme.style(.usedEnd, [.bold])) }
    }

    private var markGlyph: Unicode.Scalar { draw.glyphs.braille ? "┊" : ":" }

    /// A series scaled between its own min and max over the window (grad norm, lr).
    private func plotOwnScale(_ canvas: inout BrailleCanvas, _ series: StepSeries, as index: Int8, xs: XScale, from first: Int) {
        let start = series.firstIndex(atOrAfter: first)
        guard start < series.count else { return }
        let columns = PixelColumns(steps: series.steps, values: series.values, range: start ..< series.count, xs: xs)
        let scale = YScale([columns.low, columns.high], log: false)
        let height = canvas.pixelHeight
        canvas.plot(series: index, columns: columns, ys: { scale.pixel($0, height: height) })
    }

    private func marks(_ buffer: inout Buffer, _ plot: Rect, xs: XScale, first: Int, last: Int) {
        let style = draw.theme.style(.misc)
        for step in state.checkpoints where step >= first && step <= last {
            let column = plot.x + xs.pixel(step) / 2
            for y in plot.y ..< plot.maxY { buffer.set(column, y, markGlyph, style) }
        }
        for change in state.meshChanges where change.afterStep >= first && change.afterStep <= last {
            let column = plot.x + xs.pixel(change.afterStep) / 2
            for y in plot.y ..< plot.maxY { buffer.set(column, y, markGlyph, draw.theme.style(.title)) }
            buffer.set(column, plot.y, "M", draw.theme.style(.title, [.bold]))
        }
        recoveryMarks(&buffer, plot, xs: xs, first: first, last: last)
    }

    private func axes(_ buffer: inout Buffer, _ inside: Rect, _ plot: Rect, scale: YScale, first: Int, last: Int) {
        let label = draw.theme.style(.graphText)
        let axisX = plot.x - 1
        for y in plot.y ..< plot.maxY { buffer.set(axisX, y, draw.glyphs.vertical, label) }
        for x in plot.x ..< plot.maxX { buffer.set(x, plot.maxY, draw.glyphs.horizontal, label) }
        buffer.set(axisX, plot.maxY, draw.glyphs.bottomLeft, label)
        for row in plot.y ..< plot.maxY where row == plot.y || row == plot.maxY - 1 || (plot.height >= 5 && row == plot.y + (plot.height - 1) / 2) {
            // The value at the cell row's middle.
            let fraction = 1 - (Double(row - plot.y) + 0.5) / Double(plot.height)
            let text = Format.number(scale.value(atFraction: fraction), significant: 3)
            buffer.put(Format.fit(text, Self.axisWidth - 1, ellipsis: draw.glyphs.ellipsis), x: inside.x, y: row, style: label)
        }
        let labelRow = plot.maxY + 1
        let lastText = "step \(last)"
        buffer.put("\(first)", x: plot.x, y: labelRow, style: label)
        buffer.put(lastText, x: plot.maxX - lastText.count, y: labelRow, style: label)
        if last - first >= 2, plot.width >= 30 {
            let middle = first + (last - first) / 2
            let text = "\(middle)"
            buffer.put(text, x: plot.x + plot.width / 2 - text.count / 2, y: labelRow, style: label)
        }
    }
}

/// Steps to pixel columns.
struct XScale {
    let first: Int, last: Int, pixels: Int
    private let factor: Double

    init(first: Int, last: Int, pixels: Int) {
        self.first = first; self.last = last; self.pixels = pixels
        factor = last > first ? Double(pixels - 1) / Double(last - first) : 0
    }

    func pixel(_ step: Int) -> Int {
        guard last > first else { return pixels / 2 }
        return Int(Double(step - first) * factor + 0.5)  // steps are >= first: + 0.5 rounds
    }
}

/// Values to pixel rows (top down), linear or log10, over the range of the values shown.
struct YScale {
    let low: Double, high: Double, log: Bool

    /// Over every finite value of `groups` (positive ones on a log scale).
    init(_ groups: [[Double]], log: Bool) {
        var low = Double.infinity, high = -Double.infinity
        for group in groups {
            for v in group where v.isFinite && (!log || v > 0) { low = min(low, v); high = max(high, v) }
        }
        if low > high { low = 0; high = 1 }
        var (l, h) = log ? (Foundation.log10(low), Foundation.log10(high)) : (low, high)
        if h - l < 1e-12 { l -= 0.5; h += 0.5 }
        // Out to a round unit (a fifth of the span's power of ten), so a new extreme moves the
        // scale only now and then, not each step.
        let unit = pow(10, floor(Foundation.log10(h - l))) / 5
        self.low = floor(l / unit) * unit; self.high = ceil(h / unit) * unit; self.log = log
    }

    func pixel(_ value: Double, height: Int) -> Int? {
        guard value.isFinite, !log || value > 0 else { return nil }
        let v = log ? Foundation.log10(value) : value
        let y = (high - v) / (high - low) * Double(height - 1)
        return y.isFinite ? Format.cells(y) : nil
    }

    func value(atFraction fraction: Double) -> Double {
        let v = low + (high - low) * fraction
        return log ? pow(10, v) : v
    }
}
