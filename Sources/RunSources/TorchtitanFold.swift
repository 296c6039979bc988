import Foundation
import Telemetry

/// torchtitan's console output folded into telemetry events, a line at a time, so that a log
/// being written can be followed (`meshtop watch`) and a whole one read (RunLoader) alike:
/// - a hello once the start-up lines give the mesh (at the trainer's line, or the first step);
/// - a step once every rank's line for it is in (TorchtitanPendingSteps), each rank's figures
///   from its own line; before it a refreshed hello if what the hello says has changed (capacity
///   lines of ranks heard after the first trainer line, capacities only step lines gave);
/// - warnings and errors of torchtitan's logger as such (a warning every rank repeats: once),
///   every other line as a log line of its rank (never an error: a line that is no torchtitan
///   line is just shown);
/// - a done when every rank has logged "Training completed".
/// Lines from any number of ranks may come interleaved, with or without torchrun's prefixes and
/// colours; a step line cut in two by torchrun's tailer is joined again.
public struct TorchtitanFold {
    private let timeZone: TimeZone
    var facts = TorchtitanRunFacts()
    var steps = TorchtitanPendingSteps()
    /// Lines of torchtitan's logger seen: a file with none is no torchtitan log.
    public private(set) var recognized = 0
    /// Lines left out of the events, one note each (a step line whose step was already shown).
    public private(set) var skipped: [String] = []
    /// Unix time of the latest torchtitan line: untimed lines get it.
    var lastTime: Double?
    /// Untimed lines before the first timed one, held until a time is known.
    private var early: [LogLine] = []
    /// Per rank: the beginning of a step line whose rest is still to come; the model JSON being read.
    private var cut: [Int: (message: String, body: String, time: Double)] = [:]
    private var json: [Int: [String]] = [:]
    var helloSent: Hello?
    var summary = TorchtitanRunSummary()
    var warnedOnce: Set<String> = []
    private var warnedTexts: Set<String> = []

    /// Lines of model JSON read at most (a line that never closes it is not one).
    static let longestModelJSON = 2_000

    public init(timeZone: TimeZone = .current) { self.timeZone = timeZone }

    /// Whether the done went out (every rank logged "Training completed").
    public var hasFinished: Bool { summary.doneSent }

    /// The hello sent last, if any.
    public var hello: Hello? { helloSent }

    /// Says that `rank` writes lines (a torchrun folder's file): steps wait for it too.
    public mutating func expect(rank: Int) { steps.expect(rank) }

    /// One line, without its newline. `rank`: the rank of a line without torchrun's prefix (a
    /// rank's own file; else 0).
    public mutating func feed(_ raw: String, rank fileRank: Int = 0) -> [TelemetryRecord] {
        var line = TorchtitanLine(raw, timeZone: timeZone)
        let rank = line.rank ?? fileRank
        steps.expect(rank)
        var out: [TelemetryRecord] = []
        if let time = line.time {
            recognized += 1
            lastTime = max(lastTime ?? time, time)
            out += early.map { TelemetryRecord(time: time, event: .log($0)) }
            early = []
        }
        if var lines = json[rank] {
            if !line.isTitan && lines.count < Self.longestModelJSON {
                lines.append(line.message)
                json[rank] = lines
                if line.message == "}" {
                    facts.applyModelJSON(lines.joined(separator: "\n"))
                    json[rank] = nil
                }
                return out
            }
            json[rank] = nil
        }
        if let start = cut.removeValue(forKey: rank) {
            if !line.isTitan {
                // The rest of a line torchrun's tailer read before it was finished: joined as written.
                line = TorchtitanLine(start.body + line.body, timeZone: timeZone)
            } else {
                out += [TelemetryRecord(time: start.time, event: .log(LogLine(message: start.message, rank: rank)))]
            }
        }
        if let time = line.time {
            return out + message(line.message, level: line.level ?? .info, rank: rank, time: time, body: line.body)
        }
        let log = LogLine(message: line.message, rank: rank)
        if let time = lastTime { return out + [TelemetryRecord(time: time, event: .log(log))] }
        early.append(log)
        return out
    }

    /// The end of the input: what is held comes out (cut lines as logs, steps with the ranks that
    /// gave them), and the done if a rank finished training.
    public mutating func finish() -> [TelemetryRecord] {
        let time = lastTime ?? 0
        var out = early.map { TelemetryRecord(time: time, event: .log($0)) }
        early = []
        for (rank, start) in cut.sorted(by: { $0.key < $1.key }) {
            out.append(TelemetryRecord(time: start.time, event: .log(LogLine(message: start.message, rank: rank))))
        }
        cut = [:]
        json = [:]
        out += emit(steps.flush())
        if summary.finishedRanks > 0 { out += finishRun(time: time) }
        return out
    }

    /// One message of torchtitan's logger.
    /// `body`: the line it came from (after the prefix), kept if it may be the first part of a cut line.
    private mutating func message(_ text: String, level: TorchtitanLine.Level, rank: Int, time: Double,
                                  body: String) -> [TelemetryRecord] {
        switch level {
        case .warning:
            // Every rank prints the same warnings: the first is one, its repeats are log lines.
            let first = warnedTexts.insert(text).inserted
            return [TelemetryRecord(time: time, event: first ? .warning(Notice(message: text, rank: rank))
                                                              : .log(LogLine(message: text, rank: rank)))]
        case .error, .critical: return [TelemetryRecord(time: time, event: .error(Notice(message: text, rank: rank)))]
        case .debug, .info: break
        }
        if let fields = TorchtitanStepLine(message: text) {
            let (ready, late) = steps.add(fields, rank: rank, time: time)
            if late { skipped.append("rank \(rank)'s line for step \(fields.step) came after the step was shown") }
            return emit(ready)
        }
        if TorchtitanStepLine.begins(text) {
            cut[rank] = (text, body, time)
            return []
        }
        var out = [TelemetryRecord(time: time, event: .log(LogLine(message: text, rank: rank)))]
        guard let known = TorchtitanStartupLine(message: text) else { return out }
        facts.apply(known, rank: rank)
        switch known {
        case .building(_, _, _, jsonFollows: true): json[rank] = ["{"]
        case .trainer: if helloSent == nil { out += sendHello(time: time) }
        case .trainingCompleted:
            summary.finishedRanks += 1
            out += emit(steps.finished(rank))
            if steps.allFinished { out += finishRun(time: time) }
        default: break
        }
        return out
    }
}
