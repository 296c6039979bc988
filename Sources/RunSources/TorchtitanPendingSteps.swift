/// Step lines waiting for the rest of their step. A rank's lines come in order and torchtitan
/// logs the same steps on every rank (step 1 and every `log_freq`-th), so a step is complete once
/// every rank expected has given its line for it or one for a later step (it will never give
/// this one), or has finished training; at the end, whatever is held is complete.
struct TorchtitanPendingSteps {
    struct Line {
        var fields: TorchtitanStepLine
        var time: Double
    }

    /// A step with the lines that came for it, by rank.
    struct Ready {
        var step: Int
        var lines: [Int: Line]
        /// When its last line came.
        var time: Double { lines.values.map(\.time).max() ?? 0 }
    }

    /// The ranks whose lines a step waits for: every rank the log has shown (or a folder has a file for).
    private(set) var expected: Set<Int> = []
    private var held: [Int: [Int: Line]] = [:]
    /// The latest step each rank gave a line for; Int.max once it finished training.
    private var latest: [Int: Int] = [:]
    /// The latest step handed out, so a rank's line for it that comes afterwards is known late.
    private var lastReady: Int?

    mutating func expect(_ rank: Int) { expected.insert(rank) }

    /// Adds one rank's line; returns the steps it completes, in order, and whether the line came
    /// after its step had been handed out (it is then not in it).
    mutating func add(_ fields: TorchtitanStepLine, rank: Int, time: Double) -> (ready: [Ready], late: Bool) {
        expected.insert(rank)
        var ready: [Ready] = []
        if let previous = latest[rank], fields.step <= previous {
            // This rank went back: a new attempt resumed from a checkpoint, or a new run in the same
            // file. Hand out what is held and start counting again.
            ready = flush()
            latest = [:]
            lastReady = nil
        }
        latest[rank] = fields.step
        if let last = lastReady, fields.step <= last {
            return (ready, true)
        }
        held[fields.step, default: [:]][rank] = Line(fields: fields, time: time)
        return (ready + complete(), false)
    }

    /// The rank finished training: it gives no more step lines.
    mutating func finished(_ rank: Int) -> [Ready] {
        expected.insert(rank)
        latest[rank] = Int.max
        return complete()
    }

    /// Whether every expected rank has finished training.
    var allFinished: Bool { !expected.isEmpty && expected.allSatisfy { latest[$0] == Int.max } }

    /// Everything held, in step order.
    mutating func flush() -> [Ready] {
        let ready = held.keys.sorted().map { Ready(step: $0, lines: held[$0]!) }
        held = [:]
        if let last = ready.last { lastReady = max(lastReady ?? last.step, last.step) }
        return ready
    }

    private mutating func complete() -> [Ready] {
        var ready: [Ready] = []
        for step in held.keys.sorted() {
            let lines = held[step]!
            guard expected.allSatisfy({ lines[$0] != nil || (latest[$0] ?? Int.min) > step }) else { break }
            ready.append(Ready(step: step, lines: lines))
            held[step] = nil
            lastReady = step
        }
        return ready
    }
}
