import ArgumentParser
import CLISupport
import CStdio
import Foundation
import Launcher
import RunSpec

/// `meshtop`: the front end. `run` is the default: `meshtop --steps 20` is `meshtop run --steps 20`.
public struct MeshtopCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "meshtop",
        abstract: "A terminal dashboard for data-parallel training on a [dp_replicate, dp_shard] mesh.",
        subcommands: [RunCommand.self, ReplayCommand.self, MeshesCommand.self, PlanCommand.self, ProbeCommand.self, TokenizeCommand.self,
                      ExportCommand.self, WatchCommand.self, CompareCommand.self],
        defaultSubcommand: RunCommand.self)

    public init() {}

    /// Parses the command line with `run --config FILE` expanded into the file's options
    /// (the command line's own come after them and win), then runs the command.
    public static func main() {
        let names = Set(configuration.subcommands.map { $0.configuration.commandName ?? "" })
        let given = Array(CommandLine.arguments.dropFirst())
        let arguments: [String]
        var file: ConfigFile?
        do {
            arguments = try ConfigFile.expand(given, subcommands: names, loaded: { file = $0 }) {
                fputs("meshtop: warning: \($0)\n", mt_stderr())
            }
        } catch {
            CommandMain.refuse(name: "meshtop", error)
        }
        CommandMain.run(Self.self, name: "meshtop", arguments: arguments,
                        tracing: { [file] line in file?.tracing(line, commandLine: given) ?? line })
    }
}

/// `meshtop meshes --np N`: every mesh a job of N ranks can run on.
public struct MeshesCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "meshes",
        abstract: "List every valid [dp_replicate, dp_shard] mesh for a number of ranks.")

    @Option(name: .customLong("np"), parsing: .unconditional, help: "The number of ranks (world size).")
    public var worldSize: Int

    public init() {}

    public func validate() throws {
        guard worldSize >= 1 else { throw ValidationError("--np must be at least 1, got \(worldSize)") }
    }

    public func run() throws {
        for shape in MeshShape.all(worldSize: worldSize) {
            print("\(shape.description.padding(to: 8))[\(shape.replicate), \(shape.shard)]  \(shape.strategy.rawValue)")
        }
    }
}

extension String {
    func padding(to width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
