import Terminal

// Each failure on the loss chart: X at the last step before it, R at the step its relaunch
// resumed from (the steps between were done again), from the row below the mesh changes' M down.
extension LossPanel {
    func recoveryMarks(_ buffer: inout Buffer, _ plot: Rect, xs: XScale, first: Int, last: Int) {
        let style = draw.theme.style(.usedEnd, [.bold])
        let y = plot.y + min(1, plot.height - 1)
        let line: Unicode.Scalar = draw.glyphs.braille ? "┊" : ":"
        func mark(_ step: Int?, _ letter: Unicode.Scalar) {
            guard let step, step >= first, step <= last else { return }
            let column = plot.x + xs.pixel(step) / 2
            for row in y ..< plot.maxY { buffer.set(column, row, line, draw.theme.style(.usedEnd)) }
            buffer.set(column, y, letter, style)
        }
        for notice in state.recoveries {
            mark(notice.failedAfterStep, "X")
            mark(notice.resumedAtStep, "R")
        }
    }
}
