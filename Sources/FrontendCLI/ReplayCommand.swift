import ArgumentParser
import Foundation
import Telemetry

/// `meshtop replay FILE`: the summary of a recorded run (a `meshtop run --metrics-file`).
public struct ReplayCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Summarise a recorded run (the JSON lines of `meshtop run --metrics-file`).")

    @Argument(help: ArgumentHelp("The recorded run.", valueName: "file"))
    public var file: String

    public init() {}

    public func run() throws {
        let records: [TelemetryRecord]
        let counts: LineCounts
        do { (records, counts) = try TelemetryFileReader.readAll(path: file) } catch {
            fputs("meshtop: \(file): \(error)\n", stderr)
            throw ExitCode(1)
        }
        ReplaySummary(records).lines(file: file, rejected: counts.rejected).forEach { print($0) }
    }
}

/// What `meshtop replay` prints, from the events of a run.
public struct ReplaySummary {
    public var hello: Hello?
    public var steps: [Telemetry.Step] = []
    public var done: Done?
    public var errors: [String] = []

    public init(_ records: [TelemetryRecord]) {
        for record in records {
            switch record.event {
            case .hello(let h): hello = h
            case .step(let s): steps.append(s)
            case .done(let d): done = d
            case .error(let n): errors.append((n.step.map { "step \($0): " } ?? "") + n.message)
            default: break
            }
        }
    }

    /// Mean over steps of the ranks' mean tokens per second (torchtitan's tps, per rank).
    public var meanTPS: Double? { mean(steps.compactMap { s in mean(s.ranks.map(\.tokensPerSecond)) }) }
    /// Mean over steps of the ranks' mean MFU, percent.
    public var meanMFU: Double? { mean(steps.compactMap { s in mean(s.ranks.map(\.mfu)) }) }

    public func lines(file: String, rejected: Int = 0) -> [String] {
        var out = ["run: \(file)"]
        if let h = hello {
            out.append("mesh: [\(h.mesh.replicate), \(h.mesh.shard)] \(h.mesh.strategy), \(h.ranks.count) rank(s)")
            out.append("model: \(h.model.flavor), \(h.model.parameters) parameters; seq_len \(h.config.seqLen), global batch \(h.config.globalBatchSize)")
        } else {
            out.append("mesh: unknown (no hello event)")
        }
        out.append("steps: \(steps.count)" + (hello.map { " of \($0.config.steps)" } ?? ""))
        if let last = steps.last { out.append(String(format: "final loss: %.5f (step %d)", last.loss, last.step)) }
        if let tps = meanTPS { out.append(String(format: "mean tps: %.0f per rank", tps)) }
        if let mfu = meanMFU { out.append(String(format: "mean mfu: %.2f%%", mfu)) }
        for error in errors { out.append("error: \(error)") }
        if let d = done {
            out.append("end: \(d.reason), status \(d.status)")
        } else {
            out.append("end: no done event (the run was cut off)")
        }
        if rejected > 0 { out.append("\(rejected) malformed line(s) skipped") }
        return out
    }

    private func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
}
