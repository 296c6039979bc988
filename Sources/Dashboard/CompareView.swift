import Compare
import Terminal

/// The compare screen: every run's curve overlaid (one colour and legend entry each), the
/// differences against the first run with the rtol band, and the verdict of each run. A pure
/// function of the comparison and the view (snapshot tests).
public enum CompareView {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public static func render(_ comparison: Comparison, _ view: CompareViewState, theme: Theme, glyphs: Glyphs,
                              into buffer: inout Buffer) {
        let draw = DrawContext(theme: theme, glyphs: glyphs)
        guard buffer.width >= minimumWidth, buffer.height >= minimumHeight else {
            TooSmall(draw: draw).render(&buffer, needWidth: minimumWidth, needHeight: minimumHeight)
            return
        }
        buffer.fill(buffer.area, with: Cell(" ", style: theme.text))
        let styles = RunPalette.styles(theme, count: comparison.runs.count)
        let rows = buffer.area.splitRows([.length(1), .fill(min: 0), .length(1)])
        header(&buffer, rows[0], comparison, draw: draw)
        let body = rows[1]
        let verdictRows = min(max(3, body.height / 3), comparison.pairs.count + 2)
        let parts = body.splitRows([.fill(min: 0), .length(verdictRows)])
        let series: [CompareSeries] = view.series == .both ? [.loss, .gradNorm] : [view.series == .loss ? .loss : .gradNorm]
        let columns = parts[0].splitColumns(series.map { _ in .fill(min: 0) })
        for (column, which) in zip(columns, series) {
            let stacked = column.splitRows([.percentage(55), .fill(min: 0)])
            let panels = ComparePanels(comparison: comparison, view: view, draw: draw, styles: styles, series: which)
            panels.curves(&buffer, stacked[0])
            panels.differences(&buffer, stacked[1])
        }
        ComparePanels(comparison: comparison, view: view, draw: draw, styles: styles, series: .loss).verdicts(&buffer, parts[1])
        footer(&buffer, rows[2], draw: draw, theme: theme.name)
        if view.showHelp { help(&buffer, body, draw: draw) }
    }

    /// `Compare · 3 runs · by step · rtol 1e-5` and whether every run is within it.
    private static func header(_ buffer: inout Buffer, _ row: Rect, _ comparison: Comparison, draw: DrawContext) {
        let by = comparison.alignment == .step ? "by step" : "by tokens seen"
        let title = "Compare\(draw.sep)\(comparison.runs.count) runs\(draw.sep)\(by)\(draw.sep)rtol \(Figures.short(comparison.rtol))"
        var x = row.x + 1
        x += buffer.put(title, x: x, y: row.y, style: draw.theme.style(.title, [.bold]), maxWidth: row.maxX - x)
        let differing = comparison.pairs.filter { !$0.verdict.isWithinTolerance }.count
        let status = differing == 0 ? "every run within rtol of the first"
            : "\(differing) of \(comparison.pairs.count) not within rtol of the first"
        let style = differing == 0 ? draw.theme.style(.misc, [.bold]) : draw.theme.style(.highlight, [.bold])
        buffer.put(status, x: x + 2, y: row.y, style: style, maxWidth: row.maxX - x - 2)
    }

    private static func footer(_ buffer: inout Buffer, _ row: Rect, draw: DrawContext, theme: String) {
        var x = row.x + 1
        for entry in CompareKeys.all {
            guard let footer = entry.footer, x < row.maxX else { continue }
            let word = entry.action == .nextTheme ? "\(footer) \(theme)" : footer
            x += buffer.put(entry.label, x: x, y: row.y, style: draw.theme.style(.highlight, [.bold]), maxWidth: row.maxX - x)
            x += buffer.put(" \(word)  ", x: x, y: row.y, style: draw.theme.style(.graphText), maxWidth: row.maxX - x)
        }
    }

    private static func help(_ buffer: inout Buffer, _ area: Rect, draw: DrawContext) {
        let width = min(area.width, 56), height = min(area.height, CompareKeys.all.count + 2)
        let rect = Rect(x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width: width, height: height)
        let inside = draw.box(&buffer, rect, title: "Keys (Esc closes)", border: .highlight)
        for (i, entry) in CompareKeys.all.prefix(inside.height).enumerated() {
            buffer.put(entry.label, x: inside.x + 1, y: inside.y + i, style: draw.theme.style(.highlight, [.bold]))
            buffer.put(entry.help, x: inside.x + 7, y: inside.y + i, style: draw.theme.text, maxWidth: inside.maxX - inside.x - 8)
        }
    }
}

/// Which figure a panel shows.
enum CompareSeries {
    case loss, gradNorm

    var title: String { self == .loss ? "Loss" : "Grad norm" }
    func value(_ point: CurvePoint) -> Double { self == .loss ? point.loss : point.gradNorm }
    func difference(_ point: PointDifference) -> Difference { self == .loss ? point.loss : point.gradNorm }
}
