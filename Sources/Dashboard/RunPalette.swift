import Terminal

/// One look per run of an overlay (compare, `run --compare`): colours picked from the theme as
/// far apart as it allows, an attribute each when the theme has no colour, a mark each in ASCII.
///
/// The colours are a greedy farthest-point pick among the theme's chart colours (the keys of
/// `candidates`): each next run gets the candidate farthest (RGB distance) from the background
/// and from every colour already taken, so the first runs' colours do not change when more are
/// added, and a theme whose colours sit close together still gives its most distinct ones.
/// A terminal default background counts as black (the themes that leave it empty are dark).
public enum RunPalette {
    /// Theme keys whose colours runs may get, in order of preference on a tie.
    static let candidates: [ThemeKey] = [
        .misc, .cachedMid, .availableMid, .usedEnd, .downloadEnd, .tempStart, .processStart, .cpuEnd, .uploadEnd,
        .freeEnd, .highlight, .title, .cpuStart, .processMid, .usedMid, .tempEnd, .availableEnd, .cachedEnd, .cpuMid,
        .downloadMid, .uploadMid, .processEnd, .mainForeground,
    ]

    /// Attributes of the runs in a theme without colour.
    static let monochromeAttributes: [Attributes] = [[.bold], [], [.underline], [.dim], [.bold, .underline], [.reverse]]

    /// The ASCII marks of the runs' curves (`--ascii`): a curve is its mark wherever it passes.
    public static let asciiMarks: [Unicode.Scalar] = ["*", "o", "+", "x", "#", "@", "%", "&"]

    /// The colours of `count` runs (`.default` for each in a monochrome theme).
    public static func colors(_ theme: Theme, count: Int) -> [Color] {
        guard count > 0 else { return [] }
        if theme.monochrome { return Array(repeating: .default, count: count) }
        let background = theme[.mainBackground].rgbTriple
        var pool: [(key: ThemeKey, rgb: (UInt8, UInt8, UInt8), color: Color)] = []
        for key in candidates {
            let color = theme[key]
            guard case .rgb = color, !pool.contains(where: { $0.color == color }) else { continue }
            pool.append((key, color.rgbTriple, color))
        }
        guard !pool.isEmpty else { return Array(repeating: theme[.mainForeground], count: count) }
        var chosen: [(UInt8, UInt8, UInt8)] = [], out: [Color] = []
        while out.count < count {
            if pool.isEmpty { out.append(out[out.count % max(1, chosen.count)]); continue }
            let best = pool.indices.max { a, b in
                // max returns the last of equals: compare so that the earlier candidate wins a tie.
                let da = distance(pool[a].rgb, to: chosen, background), db = distance(pool[b].rgb, to: chosen, background)
                return da == db ? a > b : da < db
            }!
            chosen.append(pool[best].rgb)
            out.append(pool[best].color)
            pool.remove(at: best)
        }
        return out
    }

    /// The style of each of `count` runs' curves and legend entries.
    public static func styles(_ theme: Theme, count: Int) -> [Style] {
        if theme.monochrome {
            return (0 ..< count).map { Style(attributes: monochromeAttributes[$0 % monochromeAttributes.count]) }
        }
        return colors(theme, count: count).map { Style(foreground: $0, background: theme[.mainBackground], attributes: [.bold]) }
    }

    /// The mark of run `index` in ASCII.
    public static func asciiMark(_ index: Int) -> Unicode.Scalar { asciiMarks[index % asciiMarks.count] }

    /// The smallest squared RGB distance from `rgb` to the background and the colours chosen.
    static func distance(_ rgb: (UInt8, UInt8, UInt8), to chosen: [(UInt8, UInt8, UInt8)], _ background: (UInt8, UInt8, UInt8)) -> Int {
        chosen.reduce(XtermPalette.distance(rgb, background)) { min($0, XtermPalette.distance(rgb, $1)) }
    }
}

extension Color {
    /// The RGB value; the terminal's default as black.
    var rgbTriple: (UInt8, UInt8, UInt8) {
        switch self {
        case .default: return (0, 0, 0)
        case .rgb(let r, let g, let b): return (r, g, b)
        case .indexed(let i): return XtermPalette.rgb(of: i)
        }
    }
}
