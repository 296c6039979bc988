import ArgumentParser
import CStdio
import Collectives
import Foundation
import RunSpec
import Topology

/// `meshtop-probe`: what mpirun starts on every rank for `meshtop probe`. Rank 0 prints one
/// `probe: ...` line per phase and, at the end, the topology as one result line
/// (`ProbeResult`); `meshtop probe` writes it to the file.
public struct ProbeRankCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "meshtop-probe",
        abstract: "One rank of `meshtop probe`: measures sgemm and the links between ranks.",
        discussion: """
            mpirun starts one meshtop-probe per rank (usually through `meshtop probe`). Rank 0 \
            measures the sgemm rate alone, then every rank at once; then rank 0 bounces messages \
            with a rank on its host and with a rank on another host, the other ranks asleep.
            """)

    @Option(name: .customLong("sgemm-seconds"), parsing: .unconditional,
            help: "How long every rank runs sgemm at once (rank 0 alone runs half of it).")
    public var sgemmSeconds = 2.0

    @Option(name: .customLong("max-message-bytes"), parsing: .unconditional,
            help: "The largest ping-pong message; sizes double from 64 KiB up to it.")
    public var maxMessageBytes = 16 << 20

    @Option(name: .customLong("target-seconds"), parsing: .unconditional,
            help: "Sizes stop doubling once a message takes this long one way.")
    public var targetSeconds = 0.04

    public init() {}

    public func validate() throws {
        guard sgemmSeconds > 0, sgemmSeconds <= 60 else { throw ValidationError("--sgemm-seconds \(sgemmSeconds): must be in (0, 60]") }
        guard maxMessageBytes >= 128 << 10, maxMessageBytes <= 1 << 30 else {
            throw ValidationError("--max-message-bytes \(maxMessageBytes): must be from 131072 (128 KiB) to 1073741824 (1 GiB)")
        }
        guard targetSeconds > 0, targetSeconds <= 10 else { throw ValidationError("--target-seconds \(targetSeconds): must be in (0, 10]") }
    }

    public func run() throws {
        let world = try MPIRuntime.world()
        defer { MPIRuntime.finalize() }
        var settings = ProbeSession.Settings()
        settings.sgemmSeconds = sgemmSeconds
        settings.maxMessageBytes = maxMessageBytes
        settings.targetSeconds = targetSeconds
        let session = ProbeSession(world: world, settings: settings) { Self.printLine("probe: " + $0) }
        if let topology = try session.run() { Self.printLine(ProbeResult.linePrefix + (try TopologyFile.line(topology))) }
    }

    /// stdout is a pipe under mpirun: each line goes out as it is made.
    static func printLine(_ line: String) {
        print(line)
        fflush(mt_stdout())
    }
}

extension ProbeRankCommand {
    /// Only rank 0 reports a refused option: the job says it once.
    public static var isRankZero: Bool { (getenv("OMPI_COMM_WORLD_RANK").map { String(cString: $0) } ?? "0") == "0" }
}
