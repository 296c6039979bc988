import Terminal

/// What every widget draws with: the theme, the glyphs, and the shared shapes (boxes, bars).
public struct DrawContext {
    public var theme: Theme
    public var glyphs: Glyphs

    public init(theme: Theme, glyphs: Glyphs) {
        self.theme = theme
        self.glyphs = glyphs
    }

    /// Separates items on one line (" · ", or " - " in ASCII).
    var sep: String { glyphs.braille ? " · " : " - " }
    /// "…" or its ASCII stand-in.
    var more: String { String(glyphs.ellipsis) }

    /// A rounded box around `rect` with `title` on its top edge; returns the inside.
    @discardableResult
    func box(_ buffer: inout Buffer, _ rect: Rect, title: String, border: ThemeKey, focused: Bool = false) -> Rect {
        guard rect.width >= 2, rect.height >= 2 else { return .zero }
        let style = focused ? theme.style(.highlight, [.bold]) : theme.style(border)
        buffer.fill(rect, with: Cell(" ", style: theme.text))
        for x in rect.x + 1 ..< rect.maxX - 1 {
            buffer.set(x, rect.y, glyphs.horizontal, style)
            buffer.set(x, rect.maxY - 1, glyphs.horizontal, style)
        }
        for y in rect.y + 1 ..< rect.maxY - 1 {
            buffer.set(rect.x, y, glyphs.vertical, style)
            buffer.set(rect.maxX - 1, y, glyphs.vertical, style)
        }
        buffer.set(rect.x, rect.y, glyphs.topLeft, style)
        buffer.set(rect.maxX - 1, rect.y, glyphs.topRight, style)
        buffer.set(rect.x, rect.maxY - 1, glyphs.bottomLeft, style)
        buffer.set(rect.maxX - 1, rect.maxY - 1, glyphs.bottomRight, style)
        if !title.isEmpty, rect.width > 4 {
            let text = Format.fit(" \(title) ", rect.width - 4, ellipsis: glyphs.ellipsis)
            buffer.put(text, x: rect.x + 2, y: rect.y, style: theme.style(.title, [.bold]))
        }
        return rect.inset()
    }

    /// A horizontal bar of `fraction` (0...1) over `width` cells, in eighths; the rest in the
    /// meter's background. Returns the cells it covered.
    func bar(_ buffer: inout Buffer, x: Int, y: Int, width: Int, fraction: Double, style: Style) {
        guard width > 0 else { return }
        let eighths = Format.cells(min(1, max(0, fraction.isFinite ? fraction : 0)) * Double(width * 8))
        let empty = theme.style(.meterBackground)
        for i in 0 ..< width {
            let filled = min(8, max(0, eighths - i * 8))
            if filled == 0 {
                buffer.set(x + i, y, glyphs.braille ? glyphs.shades[0] : ".", empty)
            } else {
                buffer.set(x + i, y, glyphs.horizontalEighths[filled], style)
            }
        }
    }

    /// A sparkline of the newest `width` values, scaled between their min and max.
    func sparkline(_ buffer: inout Buffer, x: Int, y: Int, width: Int, values: [Double], style: Style) {
        guard width > 0, !values.isEmpty else { return }
        let shown = values.suffix(width)
        let low = shown.min()!, high = shown.max()!
        let span = high - low
        for (i, value) in shown.enumerated() {
            let level = span > 0 ? Format.cells((value - low) / span * 7) + 1 : 4
            buffer.set(x + width - shown.count + i, y, glyphs.verticalEighths[min(8, max(1, level))], style)
        }
    }
}
