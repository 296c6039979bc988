import Compare
import Terminal

/// `run --compare REF` on the loss chart: REF's loss in a colour of its own under the live
/// curves (on the same scale), its legend entry, and a last row with the verdict so far.
extension LossPanel {
    static let referenceSeries: Int8 = 4

    /// The verdict's row under the x labels (none without a reference).
    var referenceRows: Int { state.reference == nil ? 0 : 1 }

    /// REF's loss over the steps the chart shows.
    func referenceColumns(xs: XScale, first: Int, last: Int) -> PixelColumns? {
        guard let points = state.reference?.reference.points, !points.isEmpty else { return nil }
        let start = points.firstIndex { $0.step >= first } ?? points.count
        let end = points.lastIndex { $0.step <= last }.map { $0 + 1 } ?? 0
        guard start < end else { return nil }
        return PixelColumns(steps: points.map(\.step), values: points.map(\.loss), range: start ..< end, xs: xs)
    }

    /// A colour of the run palette unlike the smoothed curve's; underlined without colour.
    var referenceStyle: Style {
        let theme = draw.theme
        if theme.monochrome { return Style(attributes: [.underline]) }
        let color = RunPalette.colors(theme, count: 3).first { $0 != theme[.misc] && $0 != theme[.highlight] } ?? theme[.title]
        return Style(foreground: color, background: theme[.mainBackground])
    }

    var referenceLegend: String? {
        guard let reference = state.reference else { return nil }
        let mark = draw.glyphs.braille ? "" : "\(RunPalette.asciiMark(1)) "
        return "\(mark)ref \(RunLabels.base(name: reference.reference.name, meshes: reference.reference.meshes))"
    }

    /// In ASCII the reference's cells show its mark, so it stands apart without colour too.
    func markReference(_ canvas: BrailleCanvas, _ buffer: inout Buffer, _ plot: Rect) {
        guard state.reference != nil, !draw.glyphs.braille else { return }
        for index in canvas.owner.indices where canvas.owner[index] == Self.referenceSeries && canvas.dots[index] != 0 {
            buffer.set(plot.x + index % canvas.width, plot.y + index / canvas.width, RunPalette.asciiMark(1), referenceStyle)
        }
    }

    /// `vs ref.jsonl: identical within 1e-5 to step 12`, in the reference's colour, or the
    /// highlight once it has diverged.
    func referenceLine(_ buffer: inout Buffer, _ row: Rect) {
        guard let reference = state.reference, !row.isEmpty else { return }
        let style = reference.verdict.isWithinTolerance || reference.verdict == .nothingInCommon
            ? referenceStyle : draw.theme.style(.highlight, [.bold])
        buffer.put(Format.fit(reference.line, row.width, ellipsis: draw.glyphs.ellipsis), x: row.x, y: row.y, style: style)
    }
}
