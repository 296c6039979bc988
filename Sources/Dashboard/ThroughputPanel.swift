import Terminal

/// MFU as a gauge against the peak it is measured by and as its four factors (the GEMMs' rate
/// against the peak x the share of the working time in GEMMs x the share not waiting x model FLOPs
/// per GEMM FLOP), tokens/s and TFLOPS, the step time split into compute and waiting on
/// communication, and short histories of each.
struct ThroughputPanel {
    let state: DashboardState
    let draw: DrawContext

    static let labelWidth = 7
    /// Lines it draws when it has room: gauge, its factors, tokens, step, split, four sparklines.
    static let rows = 9

    func render(_ buffer: inout Buffer, _ rect: Rect, focused: Bool) {
        let inside = draw.box(&buffer, rect, title: "Throughput", border: .throughputBox, focused: focused)
        guard inside.height >= 1, inside.width >= 24 else { return }
        let history = state.throughput
        guard let mfu = history.mfu.last else {
            buffer.put("waiting for the first step", x: inside.x, y: inside.y, style: draw.theme.style(.inactive))
            return
        }
        let theme = draw.theme
        var y = inside.y
        func label(_ text: String) -> Int {
            buffer.put(text, x: inside.x, y: y, style: theme.style(.graphText))
            return inside.x + Self.labelWidth
        }
        func line(_ body: (Int) -> Void) {
            guard y < inside.maxY else { return }
            body(y)
            y += 1
        }
        let peak = state.peak.map { "of \(Format.flops($0.flops))" } ?? ""
        line { _ in
            let x = label("MFU")
            var text = " \(Format.number(mfu))% \(peak)"
            // "cached 2h ago" (aged at the latest event, so a replay draws what the live run did),
            // else the source alone, where the gauge would be left under 10 cells.
            if let peak = state.peak, let note = [peak.status(now: state.lastTime ?? 0), peak.source]
                .first(where: { inside.maxX - x - text.count - $0.count - 3 >= 10 }) { text += " (\(note))" }
            let width = max(4, min(30, inside.maxX - x - text.count))
            draw.bar(&buffer, x: x, y: y, width: width, fraction: mfu / 100, style: Style(
                foreground: theme.color(.cpu, at: 1 - mfu / 100), background: theme[.mainBackground]))
            buffer.put(text, x: x + width, y: y, style: theme.style(.title), maxWidth: inside.maxX - x - width)
        }
        if let split = history.mfuSplit {
            line { _ in
                let x = label("  =")
                buffer.put(MFUSplitText.fitting(split, width: inside.maxX - x), x: x, y: y, style: theme.text,
                           maxWidth: inside.maxX - x)
            }
        }
        line { _ in
            let x = label("tok/s")
            let text = "\(Format.count(history.tokensPerSecond.last ?? 0))\(draw.sep)TFLOPS \(Format.number(history.tflops.last ?? 0))"
            buffer.put(text, x: x, y: y, style: theme.style(.title, [.bold]), maxWidth: inside.maxX - x)
        }
        let (total, compute, wait) = (history.stepSeconds.last ?? 0, history.computeSeconds.last ?? 0, history.waitSeconds.last ?? 0)
        line { _ in
            let x = label("step")
            // A source without step times (a torchtitan log) gives none: say so, not "0us".
            let text = total > 0 ? "\(Format.seconds(total)) compute \(Format.seconds(compute)) wait \(Format.seconds(wait))"
                : "not in the source"
            buffer.put(text, x: x, y: y, style: theme.text, maxWidth: inside.maxX - x)
        }
        line { _ in
            let x = label("split")
            splitBar(&buffer, x: x, y: y, width: inside.maxX - x, total: total, compute: compute, wait: wait)
        }
        let sparklines: [(String, [Double], Gradient)] = [
            ("tok/s", history.tokensPerSecond.values, .download), ("step", history.stepSeconds.values, .temp),
            ("MFU", history.mfu.values, .cpu), ("wait", history.waitSeconds.values, .used),
        ]
        for (name, values, gradient) in sparklines {
            line { _ in
                let x = label(name)
                let range = "\(Format.count(values.min() ?? 0))-\(Format.count(values.max() ?? 0))"
                let width = max(0, inside.maxX - x - range.count - 1)
                draw.sparkline(&buffer, x: x, y: y, width: width, values: values, style: Style(
                    foreground: theme.color(gradient, at: 0.9), background: theme[.mainBackground]))
                buffer.put(range, x: inside.maxX - range.count, y: y, style: theme.style(.graphText))
            }
        }
    }

    /// Compute, then communication wait, then the rest of the step, proportionally.
    private func splitBar(_ buffer: inout Buffer, x: Int, y: Int, width: Int, total: Double, compute: Double, wait: Double) {
        guard width > 0, total > 0 else { return }
        let theme = draw.theme
        let computeCells = min(width, max(0, Format.cells(compute / total * Double(width))))
        let waitCells = min(width - computeCells, max(0, Format.cells(wait / total * Double(width))))
        let (full, half) = draw.glyphs.braille ? (draw.glyphs.shades[3], draw.glyphs.shades[1]) : ("#", "~")
        for i in 0 ..< width {
            if i < computeCells {
                buffer.set(x + i, y, full, theme.style(.cpuStart))
            } else if i < computeCells + waitCells {
                buffer.set(x + i, y, half, theme.style(.usedEnd))
            } else {
                buffer.set(x + i, y, draw.glyphs.braille ? draw.glyphs.shades[0] : ".", theme.style(.meterBackground))
            }
        }
    }
}
