import Terminal

// Each failure on the loss chart: X at the last step before it, R at the step its relaunch
// resumed from (the steps between were done again), below the mesh changes' M.
extension LossPanel {
    func recoveryMarks(_ buffer: inout Buffer, _ plot: Rect, xs: XScale, first: Int, last: Int) {
        let style = draw.theme.style(.usedEnd, [.bold])
        let y = plot.y + min(1, plot.height - 1)
        let line: Unicode.Scalar = draw.glyphs.braille ? "┊" : ":"
        // R a row below X: a failure right after a checkpoint resumes from the step it failed after.
        var marks: [(column: Int, letter: Unicode.Scalar, row: Int)] = []
        func add(_ step: Int?, _ letter: Unicode.Scalar, _ row: Int) {
            guard let step, step >= first, step <= last else { return }
            marks.append((plot.x + xs.pixel(step) / 2, letter, row))
        }
        for notice in state.recoveries {
            add(notice.failedAfterStep, "X", y)
            add(notice.resumedAtStep, "R", min(y + 1, plot.maxY - 1))
        }
        // The lines first, then the letters: neither mark hides the other.
        for mark in marks {
            for row in mark.row ..< plot.maxY { buffer.set(mark.column, row, line, draw.theme.style(.usedEnd)) }
        }
        for mark in marks { buffer.set(mark.column, mark.row, mark.letter, style) }
    }
}
