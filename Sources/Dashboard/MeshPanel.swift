import Diagnosis
import Telemetry
import Terminal

/// The ranks as a grid, dp_replicate rows by dp_shard columns: each cell shows the rank, its
/// host, memory and step time. The selected rank's replicate group (column) and shard group
/// (row) are highlighted. From 64 ranks, or when cells do not fit, a heat map of step times.
struct MeshPanel {
    let state: DashboardState
    let view: ViewState
    let draw: DrawContext

    /// From this many ranks the mesh is always a heat map.
    static let heatMapRanks = 64

    var replicate: Int { max(1, state.mesh?.replicate ?? state.ranks.count) }
    var shard: Int { max(1, state.mesh?.shard ?? 1) }
    var selected: Int { min(max(0, view.selectedRank), max(0, replicate * shard - 1)) }

    func render(_ buffer: inout Buffer, _ rect: Rect, focused: Bool) {
        let placement = state.placement
        let traffic = state.interHostBytes.map { " \(Format.bytes($0))/step across" } ?? ""
        let hosts = placement.isMultiHost ? "\(draw.sep)\(placement.hosts.count) hosts\(traffic)" : ""
        let title = state.mesh.map { "Mesh [\($0.replicate), \($0.shard)] \(Header.strategyName($0))\(hosts)" } ?? "Mesh"
        let inside = draw.box(&buffer, rect, title: title, border: .meshBox, focused: focused)
        guard inside.height >= 2, inside.width >= 10 else { return }
        guard state.mesh != nil else {
            buffer.put("waiting for the run", x: inside.x, y: inside.y, style: draw.theme.style(.inactive))
            return
        }
        // The straggler and the row and column aggregates, where the grid keeps two rows a replica.
        let notes = self.notes(width: inside.width)
        let room = max(0, inside.height - 1 - (replicate * shard < Self.heatMapRanks ? replicate * 2 : 2))
        let shown = Array(notes.prefix(room))
        let grid = inside.rows(0, inside.height - 1 - shown.count)
        if !drawGrid(&buffer, grid) { drawHeatMap(&buffer, grid) }
        for (i, note) in shown.enumerated() {
            buffer.put(Format.fit(note.text, inside.width, ellipsis: draw.glyphs.ellipsis), x: inside.x,
                       y: grid.maxY + i, style: note.style)
        }
        summary(&buffer, inside.rows(inside.height - 1, 1))
    }

    /// Lines under the grid: who is slow and why, then compute and wait per shard group (row)
    /// and per replicate group (column), seconds per step; the long labels where they fit.
    private func notes(width: Int) -> [(text: String, style: Style)] {
        let lost = state.lostLine.map { [($0, draw.theme.style(.usedEnd, [.bold]))] } ?? []
        guard let report = state.stragglers, state.hang == nil else { return lost }
        var lines: [(String, Style)] = lost
        if let line = report.line.map({ "straggler " + $0 }).flatMap({ $0.count <= width ? $0 : report.shortLine }) {
            lines.append((line, draw.theme.style(.usedEnd, [.bold])))
        }
        func aggregates(_ list: [StragglerReport.Aggregate], long: String, short: String, prefix: String) -> String {
            // Many groups: the slowest only.
            let shown = list.count > 8 ? [list.max { $0.compute + $0.wait < $1.compute + $1.wait }!] : list
            let values = shown.map { "\(prefix)\($0.group) \(Format.seconds($0.compute))+\(Format.seconds($0.wait))" }
                .joined(separator: draw.sep)
            let label = list.count > 8 ? short + "slowest " : short
            return long.count + values.count <= width && list.count <= 8 ? long + values : label + values
        }
        if shard > 1 {
            lines.append((aggregates(report.rows, long: "rows (shard groups) compute+wait ", short: "rows ", prefix: "r"), draw.theme.style(.graphText)))
        }
        if replicate > 1 {
            lines.append((aggregates(report.columns, long: "cols (replicate groups) compute+wait ", short: "cols ", prefix: "s"), draw.theme.style(.graphText)))
        }
        return lines
    }

    private func figures(_ rank: Int) -> RankStep? {
        rank < state.ranks.count && state.ranks[rank].rank == rank ? state.ranks[rank] : state.ranks.first { $0.rank == rank }
    }

    private func host(_ rank: Int) -> String {
        guard let ranks = state.hello?.ranks, rank < ranks.count else { return "?" }
        return ranks[rank].host
    }

    private func style(_ rank: Int) -> Style {
        if let hang = state.hang {
            // The ranks the others wait for stand out; those waiting are marked; the rest plain.
            if hang.blockers.first?.culprits.contains(rank) == true { return draw.theme.style(.usedEnd, [.bold, .reverse]) }
            if hang.blockers.first?.waiting.contains(rank) == true { return draw.theme.style(.availableEnd, [.bold]) }
        }
        if rank == selected { return draw.theme.selected }
        if MeshGroups.related(rank, to: selected, shard: shard) {
            return draw.theme.style(.highlight, draw.theme.monochrome ? [.underline] : [.bold])
        }
        return draw.theme.text
    }

    /// Cells of text, three rows each (and a blank one if it fits) when there is room, else two or one;
    /// false when they do not fit.
    private func drawGrid(_ buffer: inout Buffer, _ area: Rect) -> Bool {
        guard replicate * shard < Self.heatMapRanks else { return false }
        let cellWidth = min(30, area.width / shard)
        guard cellWidth >= 11 else { return false }
        let rows = replicate * 3 <= area.height && cellWidth >= 20 ? 3 : replicate * 2 <= area.height ? 2 : replicate <= area.height ? 1 : 0
        guard rows > 0 else { return false }
        let pitch = rows == 3 && replicate * 4 <= area.height ? 4 : rows  // a blank row between replicas if it fits
        let e = draw.glyphs.ellipsis
        for r in 0 ..< replicate {
            for s in 0 ..< shard {
                let rank = r * shard + s
                let x = area.x + s * cellWidth, y = area.y + r * pitch
                let f = figures(rank)
                let memory = f.map { Format.bytes($0.residentBytes) } ?? "-"
                let time = f.map { Format.seconds($0.seconds.total) } ?? "-"
                let rowsText: [String]
                switch rows {
                case 3:
                    let peak = f.map { Format.bytes($0.peakResidentBytes) } ?? "-"
                    let mfu = f.map { Format.number($0.mfu) + "%" } ?? "-"
                    rowsText = ["r\(rank) \(host(rank))", hangText(rank) ?? "mem \(memory) peak \(peak)", "step \(time) mfu \(mfu)"]
                case 2: rowsText = ["r\(rank) \(host(rank))", hangText(rank) ?? "\(memory) \(time)"]
                default: rowsText = ["r\(rank) \(memory) \(time)"]
                }
                for (i, text) in rowsText.enumerated() {
                    buffer.put(Format.pad(" " + text, cellWidth - 1, ellipsis: e), x: x, y: y + i, style: style(rank))
                }
            }
        }
        return true
    }

    /// One or two characters per rank, shaded and coloured by step time (slow is dense and hot);
    /// a replica row wraps when the shards do not fit, and the view scrolls to the selection.
    private func drawHeatMap(_ buffer: inout Buffer, _ area: Rect) {
        guard area.height >= 2 else { return }
        // Replica labels on the left when there is room for them.
        let labelWidth = area.width >= 24 ? "r\(replicate - 1) ".count : 0
        let cells = Rect(x: area.x + labelWidth, y: area.y, width: area.width - labelWidth, height: area.height)
        let cellWidth = shard * 2 <= cells.width ? 2 : 1
        let perLine = max(1, cells.width / cellWidth)
        let linesPerReplica = (shard + perLine - 1) / perLine
        let visible = area.height - 1
        let selectedLine = (selected / shard) * linesPerReplica + (selected % shard) / perLine
        let totalLines = replicate * linesPerReplica
        let top = max(0, min(totalLines - visible, selectedLine - visible / 2))
        let (low, high) = stepTimeRange()
        let theme = draw.theme, shades = draw.glyphs.shades
        // One colour per shade, looked up once (not per rank).
        let heat = (0 ..< shades.count).map {
            Style(foreground: theme.color(.cpu, at: (Double($0) + 0.5) / Double(shades.count)), background: theme[.mainBackground])
        }
        let (selectedStyle, inactive, groupBackground) = (theme.selected, theme.style(.inactive), theme[.selectedBackground])
        for line in top ..< min(totalLines, top + visible) {
            let r = line / linesPerReplica, first = (line % linesPerReplica) * perLine
            if labelWidth > 0 && first == 0 {
                let style = r == selected / shard ? theme.style(.highlight, [.bold]) : theme.style(.graphText)
                buffer.put("r\(r)", x: area.x, y: area.y + 1 + line - top, style: style)
            }
            for s in first ..< min(shard, first + perLine) {
                let rank = r * shard + s
                let x = cells.x + (s - first) * cellWidth, y = area.y + 1 + line - top
                var glyph: Unicode.Scalar = draw.glyphs.braille ? "\u{00B7}" : "."
                var cellStyle = inactive
                if let time = figures(rank)?.seconds.total {
                    let t = high > low ? (time - low) / (high - low) : 0
                    let level = min(shades.count - 1, max(0, Format.cells(t * Double(shades.count) - 0.5)))
                    glyph = shades[level]
                    cellStyle = heat[level]
                }
                if rank == selected {
                    cellStyle = selectedStyle
                } else if MeshGroups.related(rank, to: selected, shard: shard) {
                    cellStyle = theme.monochrome ? cellStyle.with(.underline) : cellStyle.on(groupBackground)
                }
                for i in 0 ..< cellWidth { buffer.set(x + i, y, glyph, cellStyle) }
            }
        }
        let scroll = totalLines > visible ? "\(draw.sep)rows \(top + 1)-\(min(totalLines, top + visible)) of \(totalLines)" : ""
        let legend = "step time \(shades.first!) \(Format.seconds(low)) \(draw.more) \(shades.last!) \(Format.seconds(high))\(scroll)"
        buffer.put(legend, x: area.x, y: area.y, style: theme.style(.graphText), maxWidth: area.width)
    }

    private func stepTimeRange() -> (Double, Double) {
        var low = Double.infinity, high = -Double.infinity
        for rank in state.ranks { low = min(low, rank.seconds.total); high = max(high, rank.seconds.total) }
        return low <= high ? (low, high) : (0, 0)
    }

    /// While hung, what the rank is doing instead of its memory: waiting in a call, or silent.
    private func hangText(_ rank: Int) -> String? {
        guard let hang = state.hang, rank < hang.ranks.count else { return nil }
        let r = hang.ranks[rank]
        if r.silent { return "silent \(HangReport.seconds(r.heardAgo))" }
        if let call = r.waitingIn { return "waits \(call.operation) #\(call.sequence)" }
        return r.phase.map { "in \($0)" }
    }

    private func summary(_ buffer: inout Buffer, _ row: Rect) {
        if let hang = state.hang {
            buffer.put(Format.fit(hang.headline, row.width, ellipsis: draw.glyphs.ellipsis), x: row.x, y: row.y,
                       style: draw.theme.style(.usedEnd, [.bold]))
            return
        }
        let rank = selected
        var text = "rank \(rank) (r\(rank / shard), s\(rank % shard)) \(host(rank))"
        if let f = figures(rank) {
            text += "\(draw.sep)\(Format.bytes(f.residentBytes))\(draw.sep)step \(Format.seconds(f.seconds.total))\(draw.sep)mfu \(Format.number(f.mfu))%"
        }
        let placement = state.placement
        if placement.isMultiHost {
            // The groups whose collectives go over the link between hosts.
            let crossing = [("shard", MeshGroups.shardGroup(ofRank: rank, replicate: replicate, shard: shard)),
                            ("replicate", MeshGroups.replicateGroup(ofRank: rank, replicate: replicate, shard: shard))]
                .filter { placement.crossesHosts($0.1) }.map(\.0)
            text += draw.sep + (crossing.isEmpty ? "groups within its host" : crossing.joined(separator: " and ") + " group across hosts")
        }
        buffer.put(Format.fit(text, row.width, ellipsis: draw.glyphs.ellipsis), x: row.x, y: row.y,
                   style: draw.theme.style(.highlight))
    }
}
