import Terminal

/// One frame: the panels laid out for the buffer's size, overlays on top. A pure function of
/// its inputs (snapshot tests render recorded states).
public enum DashboardView {
    /// The smallest terminal the panels fit in; below it a message says so.
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    /// Draws `state` as `view` shows it into `buffer` (its whole area).
    /// - Parameters:
    ///   - live: a live run (keys for pause/checkpoint shown); false for a replay.
    ///   - now: wall time for the elapsed clock; nil uses the latest event's time.
    public static func render(_ state: DashboardState, _ view: ViewState, theme: Theme, glyphs: Glyphs,
                              live: Bool, now: Double? = nil, into buffer: inout Buffer) {
        let draw = DrawContext(theme: theme, glyphs: glyphs)
        guard buffer.width >= minimumWidth, buffer.height >= minimumHeight else {
            TooSmall(draw: draw).render(&buffer, needWidth: minimumWidth, needHeight: minimumHeight)
            return
        }
        buffer.fill(buffer.area, with: Cell(" ", style: theme.text))
        // A small mesh needs a few rows (three per replica and a summary); a heat map takes what it gets.
        let mesh = state.mesh
        // Three more for the straggler line and the row and column aggregates.
        let meshRows = mesh.map { $0.worldSize < MeshPanel.heatMapRanks ? $0.replicate * 4 + 4 : .max } ?? 0
        let layout = PanelLayout(area: buffer.area, meshRows: meshRows)
        Header(state: state, view: view, draw: draw, now: now).render(&buffer, layout.header)
        MeshPanel(state: state, view: view, draw: draw).render(&buffer, layout.mesh, focused: view.focus == .mesh)
        ThroughputPanel(state: state, draw: draw).render(&buffer, layout.throughput, focused: false)
        if let hang = state.hang {
            HangPanel(report: hang, draw: draw).render(&buffer, layout.loss)
        } else {
            LossPanel(state: state, view: view, draw: draw).render(&buffer, layout.loss, focused: view.focus == .loss)
        }
        MemoryPanel(state: state, view: view, draw: draw).render(&buffer, layout.memory, focused: false)
        LogPane(state: state, view: view, draw: draw).render(&buffer, layout.log, focused: view.focus == .log)
        footer(&buffer, layout.footer, view: view, theme: theme, live: live, sep: draw.sep)
        Overlays(state: state, view: view, draw: draw, live: live).render(&buffer, layout.body)
    }

    private static func footer(_ buffer: inout Buffer, _ row: Rect, view: ViewState, theme: Theme, live: Bool, sep: String) {
        let hints = KeyBindings.footer(live: live).map { hint in
            (hint.label, hint.action == .nextTheme ? "\(hint.word) \(theme.name)" : hint.word)
        }
        var x = row.x + 1
        for (key, action) in hints where x < row.maxX {
            x += buffer.put(key, x: x, y: row.y, style: theme.style(.highlight, [.bold]), maxWidth: row.maxX - x)
            x += buffer.put(" \(action)  ", x: x, y: row.y, style: theme.style(.graphText), maxWidth: row.maxX - x)
        }
    }
}

/// Where each panel goes at a given size (from 80x24 up). The header and the key line keep one
/// size; the log pane takes a fifth of the rest (at least 4 rows); the mesh and throughput row
/// what the mesh and the throughput's 9 lines need, at least 8 and at most two fifths of what
/// remains; the loss chart and the memory panel the rest, the memory panel a third of the
/// width (at least 30 columns).
struct PanelLayout {
    let header, body, mesh, throughput, loss, memory, log, footer: Rect

    /// - Parameter meshRows: the rows the mesh panel would like inside its border.
    init(area: Rect, meshRows: Int = .max) {
        let rows = area.splitRows([.length(Header.height), .fill(min: 0), .length(1)])
        header = rows[0]
        body = rows[1]
        footer = rows[2]
        let logHeight = max(4, body.height / 5)
        let wanted = max(ThroughputPanel.rows, min(meshRows, 1000)) + 2
        let topHeight = max(8, min(wanted, (body.height - logHeight) * 2 / 5))
        let parts = body.splitRows([.length(topHeight), .fill(min: 0), .length(logHeight)])
        let top = parts[0].splitColumns([.percentage(50), .fill(min: 0)])
        mesh = top[0]
        throughput = top[1]
        let middle = parts[1].splitColumns([.fill(min: 0), .length(max(30, area.width / 3))])
        loss = middle[0]
        memory = middle[1]
        log = parts[2]
    }
}
