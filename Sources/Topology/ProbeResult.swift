import Foundation

/// How the probe's rank 0 hands its topology to `meshtop probe`: one stdout line, this prefix and
/// the topology's JSON (TopologyFile.line). Here, not in the probe, because the front end reads it
/// and links no MPI.
public enum ProbeResult {
    public static let linePrefix = "meshtop-probe-result "

    /// The topology a result line carries; nil for any other line.
    public static func topology(inLine line: String) throws -> Topology? {
        guard line.hasPrefix(linePrefix) else { return nil }
        return try TopologyFile.decode(Data(line.dropFirst(linePrefix.count).utf8), name: "the probe's result")
    }
}
