import RunSpec
import Terminal

/// Boxes drawn over the panels: help, a rank's details, the quit question.
struct Overlays {
    let state: DashboardState
    let view: ViewState
    let draw: DrawContext
    let live: Bool

    func render(_ buffer: inout Buffer, _ area: Rect) {
        switch view.overlay {
        case .none: return
        case .help: helpBox(&buffer, area)
        case .details: detailsBox(&buffer, area)
        case .quitConfirm: quitBox(&buffer, area)
        case .meshPicker: MeshPickerOverlay(state: state, view: view, draw: draw, live: live).render(&buffer, area)
        }
    }

    private func centered(_ area: Rect, width: Int, height: Int) -> Rect {
        let w = min(area.width, width), h = min(area.height, height)
        return Rect(x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h)
    }

    private func lines(_ buffer: inout Buffer, _ inside: Rect, _ rows: [(String, Style)]) {
        for (i, row) in rows.prefix(inside.height).enumerated() {
            buffer.put(Format.fit(row.0, inside.width - 1, ellipsis: draw.glyphs.ellipsis), x: inside.x + 1, y: inside.y + i, style: row.1)
        }
    }

    private func helpBox(_ buffer: inout Buffer, _ area: Rect) {
        let entries = KeyBindings.all
        let rect = centered(area, width: 64, height: entries.count + 2)
        let inside = draw.box(&buffer, rect, title: "Keys (Esc closes)", border: .highlight)
        for (i, entry) in entries.prefix(inside.height).enumerated() {
            buffer.put(entry.label, x: inside.x + 1, y: inside.y + i, style: draw.theme.style(.highlight, [.bold]))
            buffer.put(entry.help, x: inside.x + 15, y: inside.y + i, style: draw.theme.text, maxWidth: inside.maxX - inside.x - 16)
        }
    }

    private func detailsBox(_ buffer: inout Buffer, _ area: Rect) {
        let count = max(1, state.worldSize)
        let rank = min(max(0, view.selectedRank), count - 1)
        let shard = max(1, state.mesh?.shard ?? 1)
        let identity = state.hello?.ranks.first { $0.rank == rank }
        let figures = state.ranks.first { $0.rank == rank }
        let text = draw.theme.text, head = draw.theme.style(.title, [.bold])
        var rows: [(String, Style)] = [
            ("rank \(rank)  replica \(rank / shard)  shard \(rank % shard)", head),
            ("host \(identity?.host ?? "?")  pid \(identity.map { "\($0.pid)" } ?? "?")", text),
        ]
        if let f = figures {
            var resident = "resident \(Format.bytes(f.residentBytes))  peak \(Format.bytes(f.peakResidentBytes))"
            if let host = identity?.hostMemoryBytes, host > 0 {
                resident += "  (\(Format.number(Double(f.residentBytes) / Double(host) * 100))% of the host's \(Format.bytes(host)))"
            }
            rows.append((resident, text))
            rows.append(("memory by category", head))
            let groups: [(String, [MemoryCategory])] = [("parameters", [.parameters]), ("gathered", [.gatheredParameters]),
                ("gradients", [.gradients]), ("optimizer", [.optimizer]), ("activations", [.activations]),
                ("buffers", [.communication, .scratch])]
            for (label, keys) in groups {
                let bytes = keys.reduce(0) { $0 &+ (f.memory[$1.rawValue] ?? 0) }
                rows.append(("  " + Format.pad(label, 12, ellipsis: draw.glyphs.ellipsis) + Format.bytes(bytes), text))
            }
            rows.append(("collectives (this step)", head))
            for kind in f.communication.keys.sorted() {
                let c = f.communication[kind]!
                rows.append(("  " + Format.pad(kind, 15, ellipsis: draw.glyphs.ellipsis)
                    + "\(Format.bytes(c.bytes)) in \(c.calls) calls, waited \(Format.seconds(c.waitSeconds))", text))
            }
            if f.communication.isEmpty { rows.append(("  none", draw.theme.style(.inactive))) }
            if let split = state.hello.flatMap({ hello in state.peak.flatMap { peak in
                ThroughputHistory.pooledSplit([f], hello.flopsPerToken, peak.flops) } }) {
                rows.append(("mfu \(Format.number(f.mfu))% =", head))
                rows.append(("  " + MFUSplitText.fitting(split, width: 56), text))
            }
            rows.append(("step \(Format.seconds(f.seconds.total)): compute \(Format.seconds(f.seconds.compute)), comm \(Format.seconds(f.seconds.communication)), optimizer \(Format.seconds(f.seconds.optimizer))", text))
        } else {
            rows.append(("no step figures yet", draw.theme.style(.inactive)))
        }
        let rect = centered(area, width: 60, height: rows.count + 2)
        let inside = draw.box(&buffer, rect, title: "Rank \(rank) (Enter/Esc closes)", border: .highlight)
        lines(&buffer, inside, rows)
    }

    private func quitBox(_ buffer: inout Buffer, _ area: Rect) {
        let rect = centered(area, width: 52, height: 5)
        let inside = draw.box(&buffer, rect, title: "Quit", border: .highlight)
        lines(&buffer, inside, [
            ("Stop the run and quit?", draw.theme.style(.title, [.bold])),
            ("y: stop (checkpoint first if checkpoints are on)", draw.theme.text),
            ("n or Esc: keep running", draw.theme.text),
        ])
    }
}

/// What shows instead of the panels when the terminal is smaller than the dashboard needs.
struct TooSmall {
    let draw: DrawContext

    func render(_ buffer: inout Buffer, needWidth: Int, needHeight: Int) {
        let theme = draw.theme
        buffer.fill(buffer.area, with: Cell(" ", style: theme.text))
        let rows = [
            "Terminal size too small:",
            "Width = \(buffer.width) Height = \(buffer.height)",
            "Needed for meshtop:",
            "Width = \(needWidth) Height = \(needHeight)",
        ]
        let top = max(0, (buffer.height - rows.count) / 2)
        for (i, row) in rows.enumerated() {
            let style = i % 2 == 0 ? theme.style(.title, [.bold]) : theme.style(.highlight)
            buffer.put(row, x: max(0, (buffer.width - row.count) / 2), y: top + i, style: style)
        }
    }
}
