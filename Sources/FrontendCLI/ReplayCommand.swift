import ArgumentParser
import Foundation
import RunSpec
import Telemetry

/// `meshtop replay FILE`: a recorded run (a `meshtop run --metrics-file`) in the dashboard, or
/// its summary when stdout is not a terminal or with `--summary`.
public struct ReplayCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Show a recorded run (the JSON lines of `meshtop run --metrics-file`).",
        discussion: """
            On a terminal: the run in the dashboard, as it looked at its end (q quits; the keys \
            that steer a live run do nothing). Otherwise, or with --summary: a summary (mesh, \
            model, steps, final loss, mean tps and MFU, errors, how it ended).
            """)

    @Argument(help: ArgumentHelp("The recorded run.", valueName: "file"))
    public var file: String

    @Flag(help: "Print the summary even on a terminal.")
    public var summary = false

    @OptionGroup(title: "Dashboard") public var dashboard: DashboardOptions

    public init() {}

    public func run() throws {
        let (records, counts) = try Self.read(file)
        if !summary && isatty(STDOUT_FILENO) == 1, let (app, warnings) = dashboard.makeApp(live: false, runName: nil) {
            for warning in warnings { app.feed.push(.launcher(warning)) }
            for record in records { app.feed.push(.record(record)) }
            if counts.rejected > 0 { app.feed.push(.launcher("\(file): \(counts.rejected) malformed line(s) skipped")) }
            app.run()
            return
        }
        ReplaySummary(records).lines(file: file, rejected: counts.rejected).forEach { print($0) }
    }

    /// The events of a recording; a file that is not one (missing, a folder, empty, no line an
    /// event) is refused naming it. Malformed lines among good ones are counted, not refused.
    static func read(_ file: String) throws -> ([TelemetryRecord], LineCounts) {
        try InputFile.requireReadable(file, file)
        let (records, counts) = try InputError.refusing { try TelemetryFileReader.readAll(path: file) }
        if records.isEmpty {
            throw InputError("\(file): not a meshtop recording (no line is a telemetry event; "
                + "`meshtop run --metrics-file` writes them)")
        }
        return (records, counts)
    }
}

/// What `meshtop replay` prints, from the events of a run.
public struct ReplaySummary {
    public var hello: Hello?
    public var steps: [Telemetry.Step] = []
    public var done: Done?
    public var errors: [String] = []
    /// The newest peak (the hello's, or a step's that raised it) and the run's last event time.
    public var peak: PeakInfo?
    public var lastTime: Double?

    public init(_ records: [TelemetryRecord]) {
        for record in records {
            lastTime = max(lastTime ?? record.time, record.time)
            switch record.event {
            case .hello(let h): hello = h; peak = h.peak
            case .step(let s): steps.append(s); peak = s.peak ?? peak
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
        // A step that came again (resumed after a failure or a mesh switch) is one step, redone.
        let distinct = Set(steps.map(\.step)).count
        let redone = steps.count - distinct
        out.append("steps: \(distinct)" + (hello.map { " of \($0.config.steps)" } ?? "")
                   + (redone > 0 ? " (\(redone) redone after a resume)" : ""))
        if let last = steps.last { out.append(String(format: "final loss: %.5f (step %d)", last.loss, last.step)) }
        if let tps = meanTPS { out.append(String(format: "mean tps: %.0f per rank", tps)) }
        if let mfu = meanMFU {
            let against = peak.map { " of \($0.gigaflops) (\($0.status(now: lastTime ?? 0)))" } ?? ""
            out.append(String(format: "mean mfu: %.2f%%", mfu) + against)
        }
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
