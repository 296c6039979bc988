import Foundation

/// A bad line in a theme file, named by file and line number.
public struct ThemeFileError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int
    public let problem: String
    public var description: String { "theme \(file) line \(line): \(problem)" }
}

/// btop's theme format, which meshtop's themes use: one `theme[key]="value"` a line, `#`
/// comments and blank lines. A value is `#RRGGBB`, `#GG` (a grey), `R G B` in decimal, or empty
/// (the terminal's own colour; for a gradient's `_mid`, halfway between its start and end).
/// Keys meshtop does not use are skipped, so btop's themes load; keys a file leaves out come
/// from the default theme. meshtop's own key `meshtop_monochrome` ("true"/"false") makes a
/// theme of attributes only; btop ignores it.
public enum ThemeFile {
    public static let monochromeKey = "meshtop_monochrome"

    /// The theme in `text`; `file` names it in errors, `name` is the theme's name.
    public static func parse(_ text: String, name: String, file: String) throws -> Theme {
        var colors: [ThemeKey: Color] = [:]
        var emptyMids: Set<ThemeKey> = []
        var monochrome = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func failure(_ problem: String) -> ThemeFileError { ThemeFileError(file: file, line: index + 1, problem: problem) }
            guard let (key, value) = entry(line) else {
                throw failure("expected theme[key]=\"value\", got \(line)")
            }
            if key == monochromeKey {
                guard let flag = ["true": true, "false": false][value.lowercased()] else {
                    throw failure("\(key) must be \"true\" or \"false\", got \"\(value)\"")
                }
                monochrome = flag
                continue
            }
            guard let color = color(value) else {
                throw failure("bad colour \"\(value)\" for \(key): use #RRGGBB, #GG (grey), \"R G B\" (0-255) or \"\"")
            }
            guard let themeKey = ThemeKey(rawValue: key) else { continue }  // a btop-only key
            if value.isEmpty, key.hasSuffix("_mid") {
                emptyMids.insert(themeKey)
            } else {
                colors[themeKey] = color
                emptyMids.remove(themeKey)
            }
        }
        var theme = Theme(name: name, colors: colors, monochrome: false)
        // An empty mid-point makes a two-stop gradient: the mid is halfway along it.
        for gradient in Gradient.allCases where emptyMids.contains(gradient.stops.1) {
            theme.colors[gradient.stops.1] = Theme.mix(theme[gradient.stops.0], theme[gradient.stops.2], 0.5)
        }
        theme.monochrome = monochrome
        return theme
    }

    /// The theme in the file at `path`, or the default with a warning naming the bad line (or
    /// the unreadable file). The theme is named after the file, without `.theme`.
    public static func load(path: String) -> (theme: Theme, warning: String?) {
        let url = URL(fileURLWithPath: path)
        let name = url.pathExtension == "theme" ? url.deletingPathExtension().lastPathComponent : url.lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            return (Theme.defaultDark, "theme \(path): cannot read the file; using the default theme")
        }
        do {
            return (try parse(String(decoding: data, as: UTF8.self), name: name, file: path), nil)
        } catch {
            return (Theme.defaultDark, "\(error); using the default theme")
        }
    }

    /// (key, value) of a `theme[key]="value"` line (single quotes too), else nil.
    static func entry(_ line: String) -> (String, String)? {
        guard line.hasPrefix("theme["), let close = line.firstIndex(of: "]") else { return nil }
        let key = String(line[line.index(line.startIndex, offsetBy: 6) ..< close])
        let rest = line[line.index(after: close)...].drop { $0 == " " || $0 == "\t" }
        guard rest.first == "=" else { return nil }
        let quoted = rest.dropFirst().trimmingCharacters(in: .whitespaces)
        guard quoted.count >= 2, let quote = quoted.first, quote == "\"" || quote == "'", quoted.last == quote,
              !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        return (key, String(quoted.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces))
    }

    /// A colour value, or nil when it is not one of the accepted forms.
    public static func color(_ value: String) -> Color? {
        if value.isEmpty { return .default }
        if value.hasPrefix("#") {
            let hex = value.dropFirst()
            guard hex.allSatisfy(\.isHexDigit), let number = UInt32(hex, radix: 16) else { return nil }
            switch hex.count {
            case 2: return .rgb(UInt8(number), UInt8(number), UInt8(number))
            case 6: return .rgb(UInt8(number >> 16), UInt8(number >> 8 & 0xFF), UInt8(number & 0xFF))
            default: return nil
            }
        }
        let parts = value.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3 else { return nil }
        let channels = parts.compactMap { UInt8($0) }
        return channels.count == 3 ? .rgb(channels[0], channels[1], channels[2]) : nil
    }
}
