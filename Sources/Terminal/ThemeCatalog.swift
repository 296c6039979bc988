import Foundation

/// Where themes come from: `--theme NAME|PATH`, the themes folder, `NO_COLOR`, and the order
/// `t` cycles through them in.
public struct ThemeCatalog: Sendable {
    /// The shipped themes, in cycling order (others found in the folder follow, by name).
    public static let shippedNames = ["default", "light", "high-contrast", "monochrome", "solarized-dark"]

    /// The themes folder in use (nil: none found, only the built-in themes).
    public let folder: String?
    /// Whether NO_COLOR asks for no colour (set and not empty).
    public let noColor: Bool

    public init(folder: String?, noColor: Bool = false) {
        self.folder = folder
        self.noColor = noColor
    }

    /// The catalog for this process: the folder from `MESHTOP_THEMES`, else `themes/` found above
    /// the executable (.build/<triple>/release/meshtop sits three levels below the package root),
    /// else `share/meshtop/themes` next to an installed `bin/`.
    public static func forProcess(environment: [String: String] = ProcessInfo.processInfo.environment,
                                  executablePath: String? = nil) -> ThemeCatalog {
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        if let folder = environment["MESHTOP_THEMES"], !folder.isEmpty {
            return ThemeCatalog(folder: folder, noColor: noColor)
        }
        let executable = executablePath ?? (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return ThemeCatalog(folder: findFolder(above: executable), noColor: noColor)
    }

    /// The first `themes/` (holding default.theme) above the executable's folder.
    public static func findFolder(above executable: String) -> String? {
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        for _ in 0 ..< 5 {
            for candidate in ["themes", "share/meshtop/themes"] {
                let folder = directory.appendingPathComponent(candidate)
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("default.theme").path) {
                    return folder.path
                }
            }
            if directory.path == "/" { break }
            directory.deleteLastPathComponent()
        }
        return nil
    }

    /// The theme names in cycling order: the shipped ones present, then the folder's others.
    public var names: [String] {
        let found = folder.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0) } ?? []
        let present = Set(found.filter { $0.hasSuffix(".theme") }.map { String($0.dropLast(6)) })
        let shipped = Self.shippedNames.filter { present.contains($0) || $0 == "default" || $0 == "monochrome" }
        return shipped + present.subtracting(shipped).sorted()
    }

    /// The theme after `name` in `names` (wrapping round): what `t` switches to.
    public func name(after name: String) -> String {
        let all = names
        guard let index = all.firstIndex(of: name) else { return all.first ?? "default" }
        return all[(index + 1) % all.count]
    }

    /// The theme for `--theme` (nil: not given). A value with a `/` or ending in `.theme` is a
    /// path; else a name in the folder. Without `--theme`, NO_COLOR means monochrome (an
    /// explicit option wins, as no-color.org asks). Anything unusable gives the default and a
    /// warning to show.
    public func resolve(_ option: String?) -> (theme: Theme, warning: String?) {
        guard let option, !option.isEmpty else { return noColor ? (Theme.monochrome, nil) : (Theme.defaultDark, nil) }
        if option.contains("/") || option.hasSuffix(".theme") { return ThemeFile.load(path: option) }
        if let folder {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(option + ".theme").path
            if FileManager.default.fileExists(atPath: path) { return ThemeFile.load(path: path) }
        }
        switch option {
        case "default": return (Theme.defaultDark, nil)
        case "monochrome": return (Theme.monochrome, nil)
        default:
            let known = names.joined(separator: ", ")
            return (Theme.defaultDark, "theme \(option): no such theme (known: \(known)); using the default theme")
        }
    }
}

extension Theme {
    /// Attributes only, no colour (NO_COLOR, and terminals without colour).
    public static let monochrome = Theme(name: "monochrome", colors: [:], monochrome: true)
}
