import Foundation

extension ConfigFile {
    /// Resume options: one on the command line replaces the file's.
    static let resumeOptions = ["--resume", "--resume-step", "--resume-latest-valid"]

    /// `meshtop`'s arguments with `--config FILE` expanded: the file's options go right after the
    /// subcommand, before the command line's own (which therefore override them). The file's mesh
    /// is sized by the command line's `--np` (else one rank per core) and left out when the
    /// command line has `--mesh`. `warn` gets the file's one warning, if any.
    public static func expand(_ arguments: [String], subcommands: Set<String>,
                              cores: Int = ProcessInfo.processInfo.activeProcessorCount,
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
