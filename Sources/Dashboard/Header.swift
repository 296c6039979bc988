import RunSpec
import Telemetry
import Terminal

/// Two rows: the run (name, mesh and strategy, world size, state), then progress (step of total
/// with a bar, elapsed time, ETA).
struct Header {
    let state: DashboardState
    let view: ViewState
    let draw: DrawContext
    /// Wall time now (Unix seconds) for a live clock; nil: the time of the latest event.
    let now: Double?

    static let height = 2

    func render(_ buffer: inout Buffer, _ rect: Rect) {
        let theme = draw.theme
        buffer.fill(rect.rows(0, 2), with: Cell(" ", style: theme.text))
        var x = rect.x + 1
        x += buffer.put("meshtop", x: x, y: rect.y, style: theme.style(.highlight, [.bold])) + 2
        x += buffer.put(state.title, x: x, y: rect.y, style: theme.style(.title, [.bold]), maxWidth: max(0, rect.width / 2 - x)) + 2
        let phase = phaseText
        let phaseX = rect.maxX - phase.count - 1
        buffer.put(phase, x: phaseX, y: rect.y, style: phaseStyle)
        if let mesh = state.mesh {
            let text = "mesh [\(mesh.replicate), \(mesh.shard)] \(Self.strategyName(mesh))\(draw.sep)\(mesh.worldSize) ranks"
            buffer.put(Format.fit(text, phaseX - 1 - x, ellipsis: draw.glyphs.ellipsis), x: x, y: rect.y, style: theme.text)
        }
        progress(&buffer, rect.rows(1, 1))
    }

    /// The strategy's name, from the mesh's shape (the wire's lowercased name only for a shape
    /// that cannot be one).
    static func strategyName(_ mesh: MeshLayout) -> String {
        (try? MeshShape(replicate: mesh.replicate, shard: mesh.shard))?.strategy.rawValue ?? mesh.strategy
    }

    private var phaseText: String {
        if view.stopping && state.phase.isLive { return "stopping" }
        if let hang = state.hang, state.phase.isLive { return "hung \(Int(hang.stalledFor)) s" }
        if let status = state.endedStatus, status != 0 { return "failed (exit \(status))" }
        return state.phase.rawValue
    }

    private var phaseStyle: Style {
        let theme = draw.theme
        if state.hang != nil && state.phase.isLive { return theme.style(.usedEnd, [.bold, .reverse]) }
        switch state.phase {
        case .running: return theme.style(.cpuStart, [.bold])
        case .paused, .checkpointing, .relaunching, .resharding: return theme.style(.availableEnd, [.bold, .reverse])
        case .failed: return theme.style(.usedEnd, [.bold, .reverse])
        case .finished, .starting: return theme.style(.title, [.bold])
        }
    }

    private func progress(_ buffer: inout Buffer, _ row: Rect) {
        let theme = draw.theme
        let step = state.lastStep ?? 0
        let total = state.totalSteps ?? 0
        var x = row.x + 1
        x += buffer.put("step \(step)/\(total)", x: x, y: row.y, style: theme.style(.title, [.bold])) + 1
        let fraction = total > 0 ? Double(step) / Double(total) : 0
        let times = timesText
        // A mesh switch's line comes first: the phases show on the row above, its outcome here.
        let note = state.meshSwitch.map { $0.text(sep: draw.sep) + "  " } ?? state.recoveryLine.map { $0 + "  " } ?? ""
        let barWidth = max(0, min(40, row.maxX - x - times.count - note.count - 8))
        draw.bar(&buffer, x: x, y: row.y, width: barWidth, fraction: fraction, style: theme.style(.processStart))
        x += barWidth + 1
        x += buffer.put("\(Int((fraction * 100).rounded()))%", x: x, y: row.y, style: theme.text) + 2
        if case .failed = state.meshSwitch {
            x += buffer.put(note, x: x, y: row.y, style: theme.style(.usedEnd, [.bold]), maxWidth: row.maxX - x)
        } else if state.meshSwitch == nil, let last = state.recoveries.last, last.phase != .resumed {
            x += buffer.put(note, x: x, y: row.y, style: theme.style(.usedEnd, [.bold]), maxWidth: row.maxX - x)
        } else {
            x += buffer.put(note, x: x, y: row.y, style: theme.style(.highlight, [.bold]), maxWidth: row.maxX - x)
        }
        buffer.put(times, x: x, y: row.y, style: theme.text, maxWidth: row.maxX - x)
    }

    private var timesText: String {
        guard let start = state.startTime else { return "elapsed -" }
        let end = state.hasEnded ? (state.lastTime ?? start) : (now ?? state.lastTime ?? start)
        var text = "elapsed \(Format.clock(end - start))"
        let recent = state.throughput.stepSeconds.values.suffix(10)
        if let total = state.totalSteps, let step = state.lastStep, step < total, !recent.isEmpty, state.phase.isLive {
            let perStep = recent.reduce(0, +) / Double(recent.count)
            text += "  ETA \(Format.clock(perStep * Double(total - step)))"
        }
        return text
    }
}
