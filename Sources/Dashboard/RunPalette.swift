import Synchronization
import Terminal

/// One look per run of an overlay (compare, `run --compare`): colours picked from the theme as
/// far apart as it allows, an attribute each when the theme has no colour, a mark each in ASCII.
///
/// The colours come from the theme's chart colours (the keys of `candidates`): the `best` (5)
/// whose least RGB distance, to each other and to the background, is the largest of any such
/// set, ordered farthest first (each next the one farthest from the background and the colours
/// before it), then the theme's other colours in the same way, then round again. So the first
/// runs' colours do not change when more are added, and a theme whose colours sit close
/// together still gives its most distinct ones. A terminal default background counts as black
/// (the themes that leave it empty are dark).
public enum RunPalette {
    /// Theme keys whose colours runs may get, in order of preference on a tie: the charts' and
    /// gradients' colours, not the text's greys (titles, labels).
    static let candidates: [ThemeKey] = [
        .misc, .cachedMid, .availableMid, .usedEnd, .downloadEnd, .tempStart, .processStart, .cpuEnd, .uploadEnd,
        .freeEnd, .highlight, .cpuStart, .processMid, .usedMid, .tempEnd, .availableEnd, .cachedEnd, .cpuMid,
        .downloadMid, .uploadMid, .processEnd,
    ]

    /// How many runs get the most distinct set of colours.
    static let best = 5

    /// Attributes of the runs in a theme without colour.
    static let monochromeAttributes: [Attributes] = [[.bold], [], [.underline], [.dim], [.bold, .underline], [.reverse]]

    /// The ASCII marks of the runs' curves (`--ascii`): a curve is its mark wherever it passes.
    public static let asciiMarks: [Unicode.Scalar] = ["*", "o", "+", "x", "#", "@", "%", "&"]

    /// The colours of `count` runs (`.default` for each in a monochrome theme).
    public static func colors(_ theme: Theme, count: Int) -> [Color] {
        guard count > 0 else { return [] }
        if theme.monochrome { return Array(repeating: .default, count: count) }
        var pool: [Color] = []
        for key in candidates where !pool.contains(theme[key]) {
            if case .rgb = theme[key] { pool.append(theme[key]) }
        }
        guard !pool.isEmpty else { return Array(repeating: theme[.mainForeground], count: count) }
        let order = ordered(pool, background: theme[.mainBackground])
        return (0 ..< count).map { order[$0 % order.count] }
    }

    /// The runs' colours in order, computed once per theme's colours.
    private static let orders = Mutex<[[Color]: [Color]]>([:])

    /// `pool` in the runs' order: the `best` most distinct first, then the rest farthest first.
    static func ordered(_ pool: [Color], background: Color) -> [Color] {
        if let known = orders.withLock({ $0[pool + [background]] }) { return known }
        let rgb = pool.map(\.rgbTriple), back = background.rgbTriple
        var chosen = bestSubset(rgb, background: back, size: min(best, rgb.count))
        var order: [Int] = []
        // Farthest first, within the best subset and then among the others.
        for group in [chosen, Array(Set(rgb.indices).subtracting(chosen)).sorted()] {
            var left = group
            while !left.isEmpty {
                let next = left.indices.max { a, b in
                    let da = distance(rgb[left[a]], to: order.map { rgb[$0] }, back), db = distance(rgb[left[b]], to: order.map { rgb[$0] }, back)
                    return da == db ? a > b : da < db  // the earlier candidate wins a tie
                }!
                order.append(left.remove(at: next))
            }
            chosen = []
        }
        let colors = order.map { pool[$0] }
        orders.withLock { $0[pool + [background]] = colors }
        return colors
    }

    /// The indices of the `size` colours whose least distance (to each other and the
    /// background) is the largest; the earliest such set on a tie.
    static func bestSubset(_ rgb: [(UInt8, UInt8, UInt8)], background: (UInt8, UInt8, UInt8), size: Int) -> [Int] {
        guard size > 0 else { return [] }
        let n = rgb.count
        let apart = rgb.map { a in rgb.map { XtermPalette.distance(a, $0) } }
        let fromBackground = rgb.map { XtermPalette.distance($0, background) }
        var bestSet: [Int] = [], bestScore = -1
        var current: [Int] = []
        func visit(_ start: Int, _ score: Int) {
            if current.count == size {
                if score > bestScore { bestScore = score; bestSet = current }
                return
            }
            guard n - start >= size - current.count else { return }
            for i in start ..< n {
                var s = min(score, fromBackground[i])
                for j in current { s = min(s, apart[i][j]) }
                guard s > bestScore else { continue }  // cannot beat the best so far
                current.append(i)
                visit(i + 1, s)
                current.removeLast()
            }
        }
        visit(0, .max)
        return bestSet
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
