import Diagnosis
import Terminal

/// While the run is hung, in the loss chart's place: the one line that says who waits for whom,
/// then every rank's phase and the call it waits in (or finished last), from its heartbeat.
struct HangPanel {
    let report: HangReport
    let draw: DrawContext

    func render(_ buffer: inout Buffer, _ rect: Rect) {
        let title = "Hung\(draw.sep)no step for \(HangReport.seconds(report.stalledFor))"
        let inside = draw.box(&buffer, rect, title: title, border: .lossBox, focused: true)
        guard inside.height >= 1, inside.width >= 10 else { return }
        let theme = draw.theme, e = draw.glyphs.ellipsis
        var y = inside.y
        for line in wrap(report.headline, inside.width).prefix(max(1, inside.height - 2)) {
            buffer.put(line, x: inside.x, y: y, style: theme.style(.usedEnd, [.bold]))
            y += 1
        }
        y += 1
        // The ranks waited for first, then those waiting, then the rest: with more ranks than
        // rows, what matters is on screen.
        let culprits = Set(report.blockers.first?.culprits ?? [])
        let waiters = Set(report.blockers.first?.waiting ?? [])
        func order(_ r: HangReport.Rank) -> Int {
            culprits.contains(r.rank) ? 0 : waiters.contains(r.rank) ? 1 : r.waitingIn != nil ? 2 : 3
        }
        let order = report.ranks.sorted { (order($0), $0.rank) < (order($1), $1.rank) }
        for rank in order where y < inside.maxY {
            let style = culprits.contains(rank.rank) ? theme.style(.usedEnd, [.bold]) : rank.waitingIn != nil ? theme.text : theme.style(.inactive)
            buffer.put(Format.fit(rank.line, inside.width, ellipsis: e), x: inside.x, y: y, style: style)
            y += 1
        }
    }

    /// Words onto lines of at most `width` columns.
    private func wrap(_ text: String, _ width: Int) -> [String] {
        var lines: [String] = [], line = ""
        // A unit stays with its number ("14 s").
        var words: [Substring] = []
        for word in text.split(separator: " ") {
            if let last = words.last, word == "s" || word == "s;" || word == "s," { words[words.count - 1] = last + " " + word } else { words.append(word) }
        }
        for word in words {
            if !line.isEmpty && line.count + 1 + word.count > width { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        return line.isEmpty ? lines : lines + [line]
    }
}
