import Compare
import Terminal

/// The compare view's boxes for one figure (loss or grad norm): the runs' curves, their
/// differences from the first run with the rtol band, and the verdicts.
struct ComparePanels {
    let comparison: Comparison
    let view: CompareViewState
    let draw: DrawContext
    let styles: [Style]
    let series: CompareSeries

    var alignment: Alignment { comparison.alignment }
    var byTitle: String { alignment == .step ? "by step" : "by tokens seen" }

    /// Every run's curve, overlaid, with a legend of their labels and last values.
    func curves(_ buffer: inout Buffer, _ rect: Rect) {
        let title = [series.title, byTitle] + (view.logScale ? ["log"] : [])
        let inside = draw.box(&buffer, rect, title: title.joined(separator: draw.sep), border: .lossBox)
        guard inside.height >= 4, inside.width > CompareChart.axisWidth + 4 else { return }
        let items = comparison.runs.indices.map { i -> (String, Int) in
            let last = comparison.runs[i].points.last.map { Figures.value(series.value($0)) } ?? "-"
            return ("\(comparison.runs[i].label) \(last)", i)
        }
        let legendRows = legend(&buffer, inside, items, maxRows: max(1, inside.height / 3))
        let lines = comparison.runs.indices.map { i -> ChartSeries in
            let points = comparison.runs[i].points.filter { alignment.position($0) != nil }
            return ChartSeries(xs: points.map { alignment.position($0)! }, values: points.map(series.value), run: i)
        }
        let scale = YScale(lines.map(\.values), log: view.logScale)
        CompareChart(draw: draw, styles: styles).render(&buffer, Rect(x: inside.x, y: inside.y + legendRows, width: inside.width,
                                                                       height: inside.height - legendRows),
                                                        series: lines, scale: scale, xLabel: xLabel)
    }

    /// Each run's difference from the first at every aligned point, relative or absolute, on
    /// decades, with the rtol band: a line at rtol (relative), or rtol x |first run| (absolute).
    func differences(_ buffer: inout Buffer, _ rect: Rect) {
        let kind = view.difference == .relative ? "relative" : "absolute"
        let reference = comparison.runs.first?.label ?? ""
        let inside = draw.box(&buffer, rect, title: "\(series.title) difference\(draw.sep)\(kind)\(draw.sep)from \(reference)", border: .throughputBox)
        guard inside.height >= 4, inside.width > CompareChart.axisWidth + 4 else { return }
        let rtol = comparison.rtol
        let lines = comparison.pairs.map { pair in
            ChartSeries(xs: pair.points.compactMap { alignment.position($0.reference) },
                        values: pair.points.map { view.difference == .relative ? series.difference($0).relative : series.difference($0).absolute },
                        run: pair.other)
        }
        let xs = lines.flatMap(\.xs)
        var band: [ChartSeries] = []
        if let first = xs.min(), let last = xs.max() {
            if view.difference == .relative {
                band = [ChartSeries(xs: [first, last], values: [rtol, rtol], run: -1)]
            } else if let runs = comparison.runs.first {
                let points = runs.points.filter { alignment.position($0) != nil }
                band = [ChartSeries(xs: points.map { alignment.position($0)! }, values: points.map { rtol * abs(series.value($0)) }, run: -1)]
            }
        }
        var items = comparison.pairs.map { pair -> (String, Int) in
            let largest = series == .loss ? pair.largestLoss : pair.largestGradNorm
            let figure = largest.map { view.difference == .relative ? Figures.relative($0.relative) : Figures.value($0.absolute) } ?? "-"
            // The colour says which run (the legend above and the verdicts name them).
            return ("max \(figure)", pair.other)
        }
        items.append(("rtol \(Figures.short(rtol))" + (view.difference == .relative ? "" : " x |first|") + ": within below", -1))
        let legendRows = legend(&buffer, inside, items, maxRows: max(1, inside.height / 3))
        let scale = DecadeScale(lines.map(\.values), always: band.flatMap(\.values))
        CompareChart(draw: draw, styles: styles).render(&buffer, Rect(x: inside.x, y: inside.y + legendRows, width: inside.width,
                                                                       height: inside.height - legendRows),
                                                        series: lines, scale: scale, band: band, bandStyle: bandStyle, xLabel: xLabel)
    }

    /// One row per run after the first: its swatch and label, and its verdict.
    func verdicts(_ buffer: inout Buffer, _ rect: Rect) {
        let reference = comparison.runs.first?.label ?? ""
        let inside = draw.box(&buffer, rect, title: "Verdicts against \(reference)", border: .meshBox)
        guard inside.height >= 1 else { return }
        let labelWidth = min(inside.width / 3, (comparison.pairs.map { comparison.runs[$0.other].label.count }.max() ?? 0))
        for (row, pair) in comparison.pairs.prefix(inside.height).enumerated() {
            let y = inside.y + row
            var x = inside.x + swatch(&buffer, x: inside.x, y: y, run: pair.other) + 1
            let label = Format.pad(comparison.runs[pair.other].label, labelWidth, ellipsis: draw.glyphs.ellipsis)
            x += buffer.put(label + "  ", x: x, y: y, style: styles[pair.other])
            let text = VerdictText.line(pair.verdict, rtol: comparison.rtol, alignment: alignment)
            let style = pair.verdict.isWithinTolerance ? draw.theme.style(.misc) : draw.theme.style(.highlight, [.bold])
            buffer.put(Format.fit(text, inside.maxX - x, ellipsis: draw.glyphs.ellipsis), x: x, y: y, style: style)
        }
        if comparison.pairs.count > inside.height, inside.height > 0 {
            let more = " \(comparison.pairs.count - inside.height + 1) more (a taller terminal shows them) "
            buffer.put(Format.fit(more, inside.width, ellipsis: draw.glyphs.ellipsis), x: inside.x, y: inside.maxY - 1,
                       style: draw.theme.style(.inactive))
        }
    }

    private var bandStyle: Style { draw.theme.monochrome ? Style(attributes: [.dim]) : draw.theme.style(.title) }

    /// A run's two-cell swatch (its mark in ASCII); returns its width.
    @discardableResult
    private func swatch(_ buffer: inout Buffer, x: Int, y: Int, run: Int) -> Int {
        let glyph: Unicode.Scalar = run < 0 ? (draw.glyphs.braille ? "┄" : "-") : (draw.glyphs.braille ? "━" : RunPalette.asciiMark(run))
        let style = run < 0 ? bandStyle : styles[run]
        buffer.set(x, y, glyph, style)
        buffer.set(x + 1, y, glyph, style)
        return 2
    }

    /// Legend items (text, run; -1 the band) left to right, wrapping onto at most `maxRows`
    /// rows; returns the rows used.
    private func legend(_ buffer: inout Buffer, _ inside: Rect, _ items: [(String, Int)], maxRows: Int) -> Int {
        var x = inside.x, row = 0
        for (text, run) in items {
            let width = text.count + 4
            if x > inside.x && x + width > inside.maxX {
                guard row + 1 < maxRows else { break }
                row += 1
                x = inside.x
            }
            x += swatch(&buffer, x: x, y: inside.y + row, run: run) + 1
            x += buffer.put(text, x: x, y: inside.y + row, style: run < 0 ? bandStyle : styles[run], maxWidth: inside.maxX - x) + 1
        }
        return row + 1
    }

    private func xLabel(_ x: Int) -> String { alignment == .step ? "\(x)" : Format.count(Double(x)) }
}
