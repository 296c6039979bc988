import Terminal

/// The mesh picker (`m`): one row per mesh of the chosen world size with its predicted per-rank
/// memory by category, resident total and bytes per collective per step; under each mesh the
/// run has used, the same figures as measured (and its speed). Meshes used at another world
/// size follow, so every mesh's measured-vs-predicted stays in view after switches.
struct MeshPickerOverlay {
    let state: DashboardState
    let view: ViewState
    let draw: DrawContext
    let live: Bool

    /// What the keys would see now (Enter's refusal depends on it).
    private var context: KeyContext {
        KeyContext(live: live && !state.hasEnded, replicate: state.mesh?.replicate ?? 1, shard: state.mesh?.shard ?? 1,
                   themeCount: 1, meshSwitch: state.meshSwitch)
    }

    /// Cursor and mesh ("▶ [12, 34]"), then the marks ("*MC").
    static let meshWidth = 11, marksWidth = 4, strategyWidth = 6

    private struct Line {
        var text: String
        var style: Style
        var isSelected = false
    }

    func render(_ buffer: inout Buffer, _ area: Rect) {
        let fixed = Self.meshWidth + Self.marksWidth
        let wide = MeshPickerColumn.all.count * 7 + fixed + Self.strategyWidth + 4  // borders and margins
        let insideWidth = min(area.width, wide) - 2
        var (columns, width) = MeshPickerColumn.fitting(insideWidth - 2 - fixed)
        let showStrategy = width == 7
        if showStrategy { (columns, width) = MeshPickerColumn.fitting(insideWidth - 2 - fixed - Self.strategyWidth) }
        let row = { (mesh: String, marks: String, strategy: String, cells: [String]) -> String in
            Format.pad(mesh, Self.meshWidth, ellipsis: self.draw.glyphs.ellipsis)
                + Format.pad(marks, Self.marksWidth, ellipsis: self.draw.glyphs.ellipsis)
                + (showStrategy ? Format.pad(strategy, Self.strategyWidth, ellipsis: self.draw.glyphs.ellipsis) : "")
                + cells.map { String(repeating: " ", count: max(0, width - $0.count)) + $0 }.joined()
        }
        let header = Line(text: row("mesh", "", "", columns.map(\.label)), style: draw.theme.style(.title, [.bold]))
        let picker = view.picker
        var body: [Line] = []
        let running = state.mesh.map { ($0.replicate, $0.shard) }
        for (index, mesh) in MeshPickerView.meshes(picker.worldSize).enumerated() {
            body += meshLines(mesh, running: running, selected: index == picker.selected, columns: columns, row: row)
        }
        let others = state.usedMeshes.filter { $0.replicate * $0.shard != picker.worldSize }
        if !others.isEmpty {
            body.append(Line(text: "used at other world sizes", style: draw.theme.style(.title)))
            for used in others {
                body += meshLines((used.replicate, used.shard), running: running, selected: false, columns: columns, row: row)
            }
        }
        let footer = footerLines()

        // As tall as its lines (a blank one before the footer), centred; scrolled to the choice when taller.
        let height = min(area.height, body.count + footer.count + 4)
        let rect = Rect(x: area.x + (area.width - insideWidth - 2) / 2, y: area.y + (area.height - height) / 2,
                        width: insideWidth + 2, height: height)
        let title = "Mesh picker: \(picker.worldSize) ranks (< > 1-\(KeyMap.pickerMaxWorld(picker, context: context))), figures per rank"
        let inside = draw.box(&buffer, rect, title: title, border: .highlight)
        guard inside.height >= 4 else { return }
        let rows = max(0, inside.height - 2 - footer.count)
        let selectedLine = body.firstIndex { $0.isSelected } ?? 0
        let first = max(0, min(body.count - rows, selectedLine - rows / 2))
        let shown = [header] + body[first ..< min(body.count, first + rows)]
        for (i, line) in shown.enumerated() { put(&buffer, line, inside, y: inside.y + i) }
        for (i, line) in footer.enumerated() { put(&buffer, line, inside, y: inside.maxY - footer.count + i) }
    }

    private func put(_ buffer: inout Buffer, _ line: Line, _ inside: Rect, y: Int) {
        let text = Format.fit(line.text, inside.width - 1, ellipsis: draw.glyphs.ellipsis)
        if line.isSelected { buffer.fill(Rect(x: inside.x, y: y, width: inside.width, height: 1), with: Cell(" ", style: line.style)) }
        buffer.put(text, x: inside.x + 1, y: y, style: line.style)
    }

    /// A mesh's predicted row, and its measured row when the run has used it.
    private func meshLines(_ mesh: (replicate: Int, shard: Int), running: (Int, Int)?, selected: Bool,
                           columns: [MeshPickerColumn], row: (String, String, String, [String]) -> String) -> [Line] {
        let candidate = view.picker.candidate(mesh.replicate, mesh.shard)
        let cursor = selected ? (draw.glyphs.braille ? "▶ " : "> ") : "  "
        let isRunning = running.map { $0 == mesh } ?? false
        let marks = (isRunning ? "*" : "") + (candidate?.bestMemory == true ? "M" : "") + (candidate?.leastCommunication == true ? "C" : "")
        let label = cursor + "[\(mesh.replicate), \(mesh.shard)]"
        let strategy = Self.strategy(mesh)
        let style = selected ? draw.theme.selected : (isRunning ? draw.theme.style(.highlight, [.bold]) : draw.theme.text)
        var lines: [Line]
        if let candidate, candidate.unavailable == nil {
            lines = [Line(text: row(label, marks, strategy, columns.map { $0.predicted(candidate) }), style: style, isSelected: selected)]
        } else {
            let why = candidate?.unavailable ?? "no prediction"
            lines = [Line(text: row(label, marks, strategy, []) + "  " + why, style: selected ? style : draw.theme.style(.inactive), isSelected: selected)]
        }
        if let measured = state.measurement(mesh.replicate, mesh.shard) {
            lines.append(Line(text: row("  measured", "", "", columns.map { $0.measured(measured) }), style: draw.theme.style(.cpuStart)))
        }
        return lines
    }

    static func strategy(_ mesh: (replicate: Int, shard: Int)) -> String {
        if mesh.replicate * mesh.shard == 1 { return "single" }
        if mesh.shard == 1 { return "repl." }
        return mesh.replicate == 1 ? "FSDP" : "HSDP"
    }

    /// The legend and what Enter would do now.
    private func footerLines() -> [Line] {
        let legend = "* running\(draw.sep)M least memory\(draw.sep)C least comm\(draw.sep)measured: latest step, worst rank"
        let keys = "up/down choose\(draw.sep)< > ranks\(draw.sep)Esc cancel\(draw.sep)"
        let action: String
        if let refusal = KeyMap.pickerRefusal(view.picker, context: context) {
            action = refusal
        } else if let mesh = view.picker.selectedMesh {
            action = "Enter: switch to [\(mesh.replicate), \(mesh.shard)]"
        } else {
            action = ""
        }
        return [Line(text: legend, style: draw.theme.style(.graphText)),
                Line(text: keys + action, style: draw.theme.style(.highlight, [.bold]))]
    }
}
