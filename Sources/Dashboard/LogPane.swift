import Terminal

/// The newest log lines: rank 0's log, every rank's warnings and errors, the front end's
/// notices and mpirun's output. Scrolls back when focused (up/down).
struct LogPane {
    let state: DashboardState
    let view: ViewState
    let draw: DrawContext

    func render(_ buffer: inout Buffer, _ rect: Rect, focused: Bool) {
        let log = state.log
        var title = "Log"
        if log.warnings > 0 { title += "\(draw.sep)\(log.warnings) warning" + (log.warnings == 1 ? "" : "s") }
        if log.errors > 0 { title += "\(draw.sep)\(log.errors) error" + (log.errors == 1 ? "" : "s") }
        if view.logScroll > 0 { title += "\(draw.sep)\(min(view.logScroll, log.entries.count)) lines back" }
        let inside = draw.box(&buffer, rect, title: title, border: .divider, focused: focused)
        guard inside.height > 0, inside.width > 0 else { return }
        let scroll = min(view.logScroll, max(0, log.entries.count - inside.height))
        let end = log.entries.count - scroll
        let shown = log.entries[max(0, end - inside.height) ..< end]
        for (line, entry) in shown.enumerated() {
            let (prefix, style) = look(entry)
            let text = Format.fit(prefix + entry.text, inside.width, ellipsis: draw.glyphs.ellipsis)
            buffer.put(text, x: inside.x, y: inside.y + line, style: style)
        }
    }

    private func look(_ entry: LogEntry) -> (String, Style) {
        let theme = draw.theme
        let rank = entry.rank.map { "[rank \($0)] " } ?? ""
        switch entry.kind {
        case .info: return ("", theme.text)
        case .warning: return ("warning: \(rank)", theme.style(.availableEnd, [.bold]))
        case .error: return ("error: \(rank)", theme.style(.usedEnd, [.bold, theme.monochrome ? .reverse : []]))
        case .launcher: return ("meshtop: ", theme.style(.title))
        case .output: return ("", theme.style(.graphText))
        case .stderr: return ("", theme.style(.availableEnd))
        }
    }
}
