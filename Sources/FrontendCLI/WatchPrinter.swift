import Foundation
import RunSpec
import Telemetry

/// `meshtop watch --no-tui`'s lines: what was understood of the log as it comes, one line per
/// step in the style of `meshtop run`'s progress line (HeadlessPrinter.progressLine) with the
/// figures a torchtitan step line adds (grad norm, mean MFU, the largest rank memory, ranks
/// heard). Times are the log's own (its timestamps), so a finished log prints what a live watch
/// would have. Warnings and errors go to stderr; the log's other lines are not repeated.
struct WatchPrinter {
    struct Line: Equatable {
        var text: String
        var isStderr: Bool
    }

    private var hello: Hello?
    private var start: Double?
    private var stepSeconds: [Double] = []

    /// The lines for one event (none for most log lines).
    mutating func lines(for record: TelemetryRecord) -> [Line] {
        if start == nil { start = record.time }
        switch record.event {
        case .hello(let h):
            // A hello refreshed with what the shape line does not show (capacities) is not repeated.
            defer { hello = h }
            let line = Self.helloLine(h)
            return hello.map(Self.helloLine) == line ? [] : [Line(text: line, isStderr: false)]
        case .step(let step):
            stepSeconds = Array((stepSeconds + [step.ranks.map(\.seconds.total).max() ?? 0]).suffix(10))
            return [Line(text: stepLine(step, time: record.time), isStderr: false)]
        case .warning(let notice): return [Line(text: "meshtop: warning: " + Self.where(notice) + notice.message, isStderr: true)]
        case .error(let notice): return [Line(text: "meshtop: error: " + Self.where(notice) + notice.message, isStderr: true)]
        case .done(let done):
            let loss = done.summary.finalLoss.map { String(format: ", final loss %.5f", $0) } ?? ""
            let mfu = done.summary.meanMFU.map { String(format: ", mean mfu %.2f%%", $0) } ?? ""
            return [Line(text: "done: training completed after \(done.summary.steps) step(s)\(loss)\(mfu), "
                         + "in \(HeadlessPrinter.clock(done.summary.seconds))", isStderr: false)]
        case .log, .checkpoint, .recovery: return []
        }
    }

    /// `mesh [8, 1] replicate, 8 ranks; llama3 debugmodel, 6,139,136 parameters; local batch 8, ...`
    static func helloLine(_ h: Hello) -> String {
        let c = h.config
        let strategy = (try? MeshShape(replicate: h.mesh.replicate, shard: h.mesh.shard))?.strategy.rawValue ?? h.mesh.strategy
        let peak = h.peak.flops > 0 ? String(format: "; peak %.1f TFLOP/s a device", h.peak.flops / 1e12) : ""
        return "mesh [\(h.mesh.replicate), \(h.mesh.shard)] \(strategy), \(h.ranks.count) ranks; "
            + "\(h.model.flavor), \(HeadlessPrinter.grouped(h.model.parameters)) parameters; "
            + "local batch \(c.localBatchSize), global batch \(c.globalBatchSize), seq_len \(c.seqLen), "
            + "\(c.steps) steps (warmup \(c.warmupSteps))\(peak)"
    }

    private func stepLine(_ step: Step, time: Double) -> String {
        let total = hello?.config.steps ?? 0
        let tokens = step.ranks.reduce(0.0) { $0 + $1.tokensPerSecond }
        let perStep = stepSeconds.isEmpty ? 0 : stepSeconds.reduce(0, +) / Double(stepSeconds.count)
        let eta = total > step.step && perStep > 0 ? perStep * Double(total - step.step) : nil
        var line = HeadlessPrinter.progressLine(step: step.step, total: max(total, step.step), loss: step.loss,
                                                tokensPerSecond: tokens, elapsed: time - (start ?? time), eta: eta, width: 1_000)
        line += String(format: "  grad_norm %.4f", step.gradNorm)
        if !step.ranks.isEmpty {
            let mfu = step.ranks.reduce(0.0) { $0 + $1.mfu } / Double(step.ranks.count)
            let memory = step.ranks.map(\.peakResidentBytes).max() ?? 0
            line += String(format: "  mfu %.2f%%  memory %.2f GiB max", mfu, Double(memory) / 1_073_741_824)
        }
        let world = hello?.mesh.worldSize ?? step.ranks.count
        return line + "  ranks \(step.ranks.count)/\(world)"
    }

    private static func `where`(_ notice: Notice) -> String {
        [notice.rank.map { "rank \($0)" }, notice.step.map { "step \($0)" }].compactMap { $0 }.joined(separator: " ")
            + (notice.rank == nil && notice.step == nil ? "" : ": ")
    }
}
