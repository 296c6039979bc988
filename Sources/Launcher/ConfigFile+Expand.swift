import Foundation

extension ConfigFile {
    /// Resume options: one on the command line replaces the file's.
    static let resumeOptions = ["--resume", "--resume-step", "--resume-latest-valid"]

    /// `meshtop`'s arguments with `--config FILE` expanded: the file's options go right after the
    /// subcommand, before the command line's own (which therefore override them). The file's mesh
    /// is sized by the command line's `--np` (else one rank per core) and left out when the
    /// command line has `--mesh`. `warn` gets the file's one warning, if any.
    /// `loaded` gets the file, once read.
    public static func expand(_ arguments: [String], subcommands: Set<String>,
                              cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                              loaded: (ConfigFile) -> Void = { _ in },
                              warn: (String) -> Void) throws -> [String] {
        guard let index = arguments.firstIndex(where: { $0 == "--config" || $0.hasPrefix("--config=") }) else { return arguments }
        let path: String
        var rest = arguments
        if arguments[index] == "--config" {
            guard index + 1 < arguments.count else { throw LaunchError("--config needs a file") }
            path = arguments[index + 1]
            rest.removeSubrange(index...(index + 1))
        } else {
            path = String(arguments[index].dropFirst("--config=".count))
            rest.remove(at: index)
        }
        let file = try ConfigFile(path: path)
        loaded(file)
        var options = file.arguments
        if rest.contains(where: { given in resumeOptions.contains { given == $0 || given.hasPrefix($0 + "=") } }) {
            options = removing(["--resume"], ["--resume-step"], from: options)
        }
        if value(of: "--mesh", in: rest) == nil {
            options += try file.meshArguments(ranks: value(of: "--np", in: rest).flatMap { Int($0) }, cores: cores)
        }
        file.warnings.forEach(warn)
        let head = rest.first.map { subcommands.contains($0) } == true ? [rest.removeFirst()] : ["run"]
        return head + options + rest
    }

    /// The last value given to `option` (`--np 4` or `--np=4`).
    static func value(of option: String, in arguments: [String]) -> String? {
        var found: String?
        for (i, word) in arguments.enumerated() {
            if word == option, i + 1 < arguments.count { found = arguments[i + 1] }
            if word.hasPrefix(option + "=") { found = String(word.dropFirst(option.count + 1)) }
        }
        return found
    }

    /// `options` without the given flags and the given options with their values.
    static func removing(_ flags: [String], _ valued: [String], from options: [String]) -> [String] {
        var kept: [String] = []
        var i = 0
        while i < options.count {
            if flags.contains(options[i]) { i += 1; continue }
            if valued.contains(options[i]) { i += 2; continue }
            kept.append(options[i]); i += 1
        }
        return kept
    }
}

extension ConfigFile {
    /// `line` (a refused input) with the file's key named when the option it starts with was set
    /// by the file and not on the command line: `--steps -3: must be at least 1 (run.toml: [training] steps)`.
    public func tracing(_ line: String, commandLine: [String]) -> String {
        guard let option = line.split(separator: " ", maxSplits: 1).first.map({ String($0).trimmingCharacters(in: [":"]) }),
              let origin = origins[option],
              !commandLine.contains(where: { $0 == option || $0.hasPrefix(option + "=") })
        else { return line }
        return "\(line) (\(name): \(origin))"
    }
}
