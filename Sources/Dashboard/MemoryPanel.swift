import RunSpec
import Telemetry
import Terminal

/// Per rank, a stacked bar of the bytes each category holds, with marks at the resident set
/// size and its peak, and the totals over every rank. Shows the ranks that fit, around the
/// selected one.
struct MemoryPanel {
    let state: DashboardState
    let view: ViewState
    let draw: DrawContext

    /// The bars' categories: the ledger's names, "buffers" being communication and scratch.
    static let categories: [(label: String, keys: [MemoryCategory], color: ThemeKey, ascii: Unicode.Scalar, shade: Unicode.Scalar)] = [
        ("par", [.parameters], .cachedMid, "#", "█"),
        ("gat", [.gatheredParameters], .downloadEnd, "=", "▓"),
        ("grd", [.gradients], .availableMid, "+", "▒"),
        ("opt", [.optimizer], .usedMid, "%", "░"),
        ("act", [.activations], .processStart, "*", "▚"),
        ("buf", [.communication, .scratch], .graphText, "-", "▞"),
    ]

    func render(_ buffer: inout Buffer, _ rect: Rect, focused: Bool) {
        let inside = draw.box(&buffer, rect, title: "Memory", border: .memoryBox, focused: focused)
        guard inside.height >= 3, inside.width >= 16 else { return }
        legend(&buffer, inside.rows(0, 1))
        let ranks = state.ranks
        guard !ranks.isEmpty else {
            buffer.put("waiting for the first step", x: inside.x, y: inside.y + 1, style: draw.theme.style(.inactive))
            return
        }
        let scale = ranks.reduce(1) { max($0, $1.peakResidentBytes, $1.residentBytes, $1.memory.values.reduce(0, &+)) }
        let hostsLine = perHost(ranks)
        let rows = inside.height - 2 - (hostsLine.isEmpty || inside.height < 5 ? 0 : 1)
        let selected = min(max(0, view.selectedRank), ranks.count - 1)
        let first = max(0, min(ranks.count - rows, selected - rows / 2))
        let labelWidth = "r\(ranks.count - 1)".count + 1
        for (line, index) in (first ..< min(ranks.count, first + rows)).enumerated() {
            let rank = ranks[index], y = inside.y + 1 + line
            let label = index == selected ? draw.theme.selected : draw.theme.style(.graphText)
            buffer.put("r\(rank.rank)", x: inside.x, y: y, style: label)
            let figure = " \(Format.bytes(rank.residentBytes))/\(Format.bytes(rank.peakResidentBytes))"
            let barWidth = inside.width - labelWidth - figure.count
            stackedBar(&buffer, x: inside.x + labelWidth, y: y, width: barWidth, rank: rank, scale: scale)
            buffer.put(figure, x: inside.x + labelWidth + max(0, barWidth), y: y, style: draw.theme.text)
        }
        if rows < inside.height - 2 {
            buffer.put(Format.fit(hostsLine, inside.width, ellipsis: draw.glyphs.ellipsis), x: inside.x,
                       y: inside.y + inside.height - 2, style: draw.theme.style(.title))
        }
        totals(&buffer, inside.rows(inside.height - 1, 1), ranks)
    }

    private func glyph(_ index: Int) -> Unicode.Scalar {
        let category = Self.categories[index]
        if !draw.glyphs.braille { return category.ascii }
        return draw.theme.monochrome ? category.shade : "█"
    }

    private func legend(_ buffer: inout Buffer, _ row: Rect) {
        var x = row.x
        let short = row.width < Self.categories.count * 5 + 10  // two-letter labels when narrow
        for (index, category) in Self.categories.enumerated() {
            let style = draw.theme.style(category.color)
            let label = short ? String(category.label.prefix(2)) : category.label
            x += buffer.put("\(glyph(index))\(label) ", x: x, y: row.y, style: style, maxWidth: row.maxX - x)
        }
        let marks = draw.glyphs.braille ? "┃rss ╏peak" : "|rss !peak"
        buffer.put(marks, x: x, y: row.y, style: draw.theme.style(.title), maxWidth: row.maxX - x)
    }

    private func stackedBar(_ buffer: inout Buffer, x: Int, y: Int, width: Int, rank: RankStep, scale: Int) {
        guard width > 0 else { return }
        let empty = Cell(draw.glyphs.braille ? draw.glyphs.shades[0] : ".", style: draw.theme.style(.meterBackground))
        buffer.fill(Rect(x: x, y: y, width: width, height: 1), with: empty)
        var cumulative = 0, column = 0
        for (index, category) in Self.categories.enumerated() {
            cumulative &+= category.keys.reduce(0) { $0 &+ (rank.memory[$1.rawValue] ?? 0) }
            let end = Format.cells(Double(cumulative) / Double(scale) * Double(width))
            let style = draw.theme.style(category.color)
            while column < min(width, end) {
                buffer.set(x + column, y, glyph(index), style)
                column += 1
            }
        }
        let position = { (bytes: Int) in min(width - 1, max(0, Format.cells(Double(bytes) / Double(scale) * Double(width) - 0.5))) }
        let marks: (Unicode.Scalar, Unicode.Scalar) = draw.glyphs.braille ? ("╏", "┃") : ("!", "|")
        buffer.set(x + position(rank.peakResidentBytes), y, marks.0, draw.theme.style(.title, [.bold]))
        buffer.set(x + position(rank.residentBytes), y, marks.1, draw.theme.style(.title, [.bold]))
    }

    /// On several hosts, a row of each host's ranks' resident memory against the host's physical
    /// memory; empty on one.
    private func perHost(_ ranks: [RankStep]) -> String {
        let placement = state.placement
        guard placement.isMultiHost else { return "" }
        let identities = state.hello?.ranks ?? []
        let resident = Dictionary(ranks.map { ($0.rank, $0.residentBytes) }, uniquingKeysWith: { first, _ in first })
        let hostMemory = Dictionary(identities.map { ($0.host, $0.hostMemoryBytes) }, uniquingKeysWith: { first, _ in first })
        let parts = placement.hosts.map { host -> String in
            let used = host.ranks.reduce(0) { $0 &+ (resident[$1] ?? 0) }
            let total = hostMemory[host.name] ?? 0
            return "\(host.name) \(Format.bytes(used))" + (total > 0 ? "/\(Format.bytes(total))" : "")
        }
        return "hosts " + parts.joined(separator: ", ")
    }

    private func totals(_ buffer: inout Buffer, _ row: Rect, _ ranks: [RankStep]) {
        var allocated = 0, resident = 0, peak = 0
        for rank in ranks {
            allocated &+= rank.memory.values.reduce(0, &+)
            resident &+= rank.residentBytes
            peak &+= rank.peakResidentBytes
        }
        let text = "total \(Format.bytes(allocated)) alloc\(draw.sep)\(Format.bytes(resident)) rss\(draw.sep)\(Format.bytes(peak)) peak"
        buffer.put(Format.fit(text, row.width, ellipsis: draw.glyphs.ellipsis), x: row.x, y: row.y, style: draw.theme.style(.title))
    }
}
