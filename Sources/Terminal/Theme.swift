/// The colour keys of a btop theme file (`theme[key]="#RRGGBB"`), which meshtop's themes use
/// as they are, so a btop theme also loads. What each means on meshtop's screen:
public enum ThemeKey: String, CaseIterable, Hashable, Sendable {
    case mainBackground = "main_bg"      // the screen
    case mainForeground = "main_fg"      // ordinary text
    case title = "title"                 // panel titles, the run name
    case highlight = "hi_fg"             // key hints, the selected rank's groups
    case selectedBackground = "selected_bg"
    case selectedForeground = "selected_fg"
    case inactive = "inactive_fg"        // muted text, empty parts of bars
    case graphText = "graph_text"        // axis labels
    case meterBackground = "meter_bg"    // the empty part of gauges
    case misc = "proc_misc"              // marks on the loss chart
    case meshBox = "cpu_box"             // panel borders, one colour per panel
    case memoryBox = "mem_box"
    case throughputBox = "net_box"
    case lossBox = "proc_box"
    case divider = "div_line"
    // Gradients (start, mid, end): see `Gradient`.
    case tempStart = "temp_start", tempMid = "temp_mid", tempEnd = "temp_end"
    case cpuStart = "cpu_start", cpuMid = "cpu_mid", cpuEnd = "cpu_end"
    case freeStart = "free_start", freeMid = "free_mid", freeEnd = "free_end"
    case cachedStart = "cached_start", cachedMid = "cached_mid", cachedEnd = "cached_end"
    case availableStart = "available_start", availableMid = "available_mid", availableEnd = "available_end"
    case usedStart = "used_start", usedMid = "used_mid", usedEnd = "used_end"
    case downloadStart = "download_start", downloadMid = "download_mid", downloadEnd = "download_end"
    case uploadStart = "upload_start", uploadMid = "upload_mid", uploadEnd = "upload_end"
    case processStart = "process_start", processMid = "process_mid", processEnd = "process_end"
}

/// A three-stop colour ramp of a theme (btop's `<name>_start/_mid/_end`).
public enum Gradient: String, CaseIterable, Sendable {
    case temp, cpu, free, cached, available, used, download, upload, process

    var stops: (ThemeKey, ThemeKey, ThemeKey) {
        switch self {
        case .temp: return (.tempStart, .tempMid, .tempEnd)
        case .cpu: return (.cpuStart, .cpuMid, .cpuEnd)
        case .free: return (.freeStart, .freeMid, .freeEnd)
        case .cached: return (.cachedStart, .cachedMid, .cachedEnd)
        case .available: return (.availableStart, .availableMid, .availableEnd)
        case .used: return (.usedStart, .usedMid, .usedEnd)
        case .download: return (.downloadStart, .downloadMid, .downloadEnd)
        case .upload: return (.uploadStart, .uploadMid, .uploadEnd)
        case .process: return (.processStart, .processMid, .processEnd)
        }
    }
}

/// A set of colours for every `ThemeKey`. A monochrome theme draws with the terminal's default
/// colours and attributes only (bold, dim, reverse, underline).
public struct Theme: Equatable, Sendable {
    public var name: String
    public var colors: [ThemeKey: Color]
    public var monochrome: Bool

    public init(name: String, colors: [ThemeKey: Color], monochrome: Bool = false) {
        self.name = name
        self.colors = colors
        self.monochrome = monochrome
    }

    /// The colour of `key`: this theme's, else the default theme's.
    public subscript(key: ThemeKey) -> Color {
        if monochrome { return .default }
        return colors[key] ?? Theme.defaultDark.colors[key] ?? .default
    }

    /// Foreground `key` on the theme's background, with `attributes`.
    public func style(_ key: ThemeKey, _ attributes: Attributes = []) -> Style {
        Style(foreground: self[key], background: self[.mainBackground], attributes: attributes)
    }

    /// Ordinary text.
    public var text: Style { style(.mainForeground) }

    /// The selection (reverse video when monochrome).
    public var selected: Style {
        monochrome ? Style(attributes: [.reverse])
            : Style(foreground: self[.selectedForeground], background: self[.selectedBackground], attributes: [.bold])
    }

    /// The colour `fraction` (0...1) of the way along `gradient`, interpolated in RGB.
    public func color(_ gradient: Gradient, at fraction: Double) -> Color {
        if monochrome { return .default }
        let (a, b, c) = gradient.stops
        let t = fraction.isFinite ? min(1, max(0, fraction)) : 0
        return t < 0.5 ? Self.mix(self[a], self[b], t * 2) : Self.mix(self[b], self[c], (t - 0.5) * 2)
    }

    static func mix(_ from: Color, _ to: Color, _ t: Double) -> Color {
        guard case .rgb(let r0, let g0, let b0) = from, case .rgb(let r1, let g1, let b1) = to else {
            return t < 0.5 ? from : to
        }
        func lerp(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) + (Double(y) - Double(x)) * t).rounded()) }
        return .rgb(lerp(r0, r1), lerp(g0, g1), lerp(b0, b1))
    }

    /// The default: dark, close to btop's own default theme.
    public static let defaultDark = Theme(name: "default", colors: [
        .mainBackground: .default, .mainForeground: .rgb(0xcc, 0xcc, 0xcc), .title: .rgb(0xee, 0xee, 0xee),
        .highlight: .rgb(0xb5, 0x40, 0x40), .selectedBackground: .rgb(0x6a, 0x2f, 0x2f),
        .selectedForeground: .rgb(0xee, 0xee, 0xee), .inactive: .rgb(0x40, 0x40, 0x40),
        .graphText: .rgb(0x60, 0x60, 0x60), .meterBackground: .rgb(0x40, 0x40, 0x40),
        .misc: .rgb(0x0d, 0xe7, 0x56), .meshBox: .rgb(0x55, 0x6d, 0x59), .memoryBox: .rgb(0x6c, 0x6c, 0x4b),
        .throughputBox: .rgb(0x5c, 0x58, 0x8d), .lossBox: .rgb(0x80, 0x50, 0x50), .divider: .rgb(0x30, 0x30, 0x30),
        .tempStart: .rgb(0x48, 0x97, 0xd4), .tempMid: .rgb(0x53, 0x89, 0xa3), .tempEnd: .rgb(0xff, 0x40, 0x28),
        .cpuStart: .rgb(0x50, 0xf0, 0x95), .cpuMid: .rgb(0xf2, 0xe2, 0x66), .cpuEnd: .rgb(0xfa, 0x1e, 0x1e),
        .freeStart: .rgb(0x22, 0x31, 0x35), .freeMid: .rgb(0x84, 0xa3, 0x8d), .freeEnd: .rgb(0x27, 0xa5, 0xa5),
        .cachedStart: .rgb(0x0b, 0x1a, 0x29), .cachedMid: .rgb(0x74, 0xe6, 0xfc), .cachedEnd: .rgb(0x26, 0xc5, 0xff),
        .availableStart: .rgb(0x29, 0x20, 0x07), .availableMid: .rgb(0xff, 0xd7, 0x7a), .availableEnd: .rgb(0xff, 0xb8, 0x14),
        .usedStart: .rgb(0x3b, 0x1f, 0x1c), .usedMid: .rgb(0xd9, 0x62, 0x6d), .usedEnd: .rgb(0xff, 0x47, 0x69),
        .downloadStart: .rgb(0x23, 0x1a, 0x63), .downloadMid: .rgb(0x4f, 0x43, 0xa3), .downloadEnd: .rgb(0xb0, 0xa9, 0xde),
        .uploadStart: .rgb(0x51, 0x0f, 0x53), .uploadMid: .rgb(0x7d, 0x4c, 0x7e), .uploadEnd: .rgb(0xdc, 0xaf, 0xde),
        .processStart: .rgb(0x80, 0xd0, 0xa3), .processMid: .rgb(0xdc, 0xd1, 0x79), .processEnd: .rgb(0xd4, 0x54, 0x54),
    ])
}
