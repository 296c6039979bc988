import Terminal

/// The themes `t` cycles through, from the theme catalog: the chosen one first, then the
/// catalog's others in its order. With NO_COLOR (and no `--theme`) only the monochrome theme.
public enum ThemeCycle {
    /// - Parameter option: `--theme NAME|PATH` (nil: not given).
    /// - Returns: the themes, the index of the one to start with, and the warnings of theme files
    ///   that did not load (each names the file and line; the default stands in for them).
    public static func load(_ catalog: ThemeCatalog, option: String?) -> (themes: [Theme], index: Int, warnings: [String]) {
        let (chosen, warning) = catalog.resolve(option)
        var warnings = warning.map { [$0] } ?? []
        if catalog.noColor && option == nil { return ([chosen], 0, warnings) }
        var themes: [Theme] = []
        for name in catalog.names {
            let (theme, problem) = catalog.resolve(name)
            if let problem { warnings.append(problem); continue }
            themes.append(theme)
        }
        if let index = themes.firstIndex(where: { $0.name == chosen.name && $0 == chosen }) { return (themes, index, warnings) }
        return ([chosen] + themes, 0, warnings)
    }
}
