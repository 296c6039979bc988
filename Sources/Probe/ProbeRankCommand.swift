import ArgumentParser
import CStdio
import Collectives
import Foundation
import RunOptions
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

    @OptionGroup public var measurements: ProbeMeasurements

    public init() {}

    public func run() throws {
        let world = try MPIRuntime.world()
        defer { MPIRuntime.finalize() }
        var settings = ProbeSession.Settings()
        settings.sgemmSeconds = measurements.sgemmSeconds
        settings.maxMessageBytes = measurements.maxMessageBytes
        settings.targetSeconds = measurements.targetSeconds
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
