import Telemetry

/// The events the fold makes of what it gathered: hello, steps, done.
extension TorchtitanFold {
    /// The steps now complete, each after the hello it needs (again if what it says has changed).
    mutating func emit(_ ready: [TorchtitanPendingSteps.Ready]) -> [TelemetryRecord] {
        var out: [TelemetryRecord] = []
        for step in ready {
            let time = step.time
            for (rank, line) in step.lines.sorted(by: { $0.key < $1.key }) {
                facts.noteCapacity(rank: rank, gib: line.fields.memoryGiB, percent: line.fields.memoryPercent)
                if line.fields.mfu == nil {
                    out += warnOnce("mfu", time: time, rank: rank, step: step.step,
                                    "mfu: N/A: torchtitan computes no MFU under FP8/MX quantization; shown as 0")
                }
            }
            // Ranks' capacity lines after the first trainer line, or capacities only step lines
            // gave, refresh the hello (sendHello sends only a changed one).
            out += sendHello(time: time)
            if helloSent == nil {
                out += warnOnce("mesh", time: time, step: step.step,
                                "no device mesh line before the first step: the mesh (and the hello) is not known")
            }
            let made = makeStep(step)
            summary.add(made, start: time - (made.ranks.map(\.seconds.total).max() ?? 0),
                        knownMFUs: step.lines.sorted { $0.key < $1.key }.compactMap(\.value.fields.mfu))
            out.append(TelemetryRecord(time: time, event: .step(made)))
        }
        return out
    }

    /// One step from its ranks' lines. The loss and grad norm are the same on every rank (global
    /// figures); each rank's memory is its peak reserved bytes, its step time what its tps and
    /// tokens per step imply (torchtitan's `time_metrics/end_to_end(s)`).
    func makeStep(_ ready: TorchtitanPendingSteps.Ready) -> Step {
        let lines = ready.lines.sorted { $0.key < $1.key }
        let tokens = facts.tokensPerStep
        let devices = Double(facts.nonDataParallelSize)
        let ranks = lines.map { rank, line -> RankStep in
            let f = line.fields
            let bytes = TorchtitanRunFacts.bytes(f.memoryGiB)
            let seconds = tokens > 0 && f.tokensPerSecond > 0 ? Double(tokens) / (f.tokensPerSecond * devices) : 0
            return RankStep(rank: rank, tokens: tokens, seconds: StepSeconds(total: seconds), tokensPerSecond: f.tokensPerSecond,
                            tflops: f.tflops, mfu: f.mfu ?? 0, communication: [:], memory: [:], residentBytes: bytes,
                            peakResidentBytes: bytes)
        }
        let first = lines.first!.value.fields
        return Step(step: ready.step, loss: first.loss, gradNorm: first.gradNorm, lr: 0, ranks: ranks)
    }

    /// The hello, if the mesh is known; with a warning, once, for parallelism meshtop does not draw.
    mutating func sendHello(time: Double) -> [TelemetryRecord] {
        guard let hello = facts.hello(), hello != helloSent else { return [] }
        helloSent = hello
        var out = [TelemetryRecord(time: time, event: .hello(hello))]
        let others = facts.otherDegrees
        if !others.isEmpty {
            let names = others.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
            out += warnOnce("degrees", time: time, "\(names): meshtop draws the data-parallel mesh "
                            + "[\(hello.mesh.replicate), \(hello.mesh.shard)] only; ranks are placed on it by number")
        }
        return out
    }

    /// The done, once: every rank finished training (or the input ended after one did).
    mutating func finishRun(time: Double) -> [TelemetryRecord] {
        guard !summary.doneSent else { return [] }
        var out = emit(steps.flush())
        summary.doneSent = true
        out.append(TelemetryRecord(time: time, event: .done(Done(status: 0, reason: .completed, summary: summary.run(end: time)))))
        return out
    }

    mutating func warnOnce(_ key: String, time: Double, rank: Int? = nil, step: Int? = nil, _ text: String) -> [TelemetryRecord] {
        guard warnedOnce.insert(key).inserted else { return [] }
        return [TelemetryRecord(time: time, event: .warning(Notice(message: text, rank: rank, step: step)))]
    }
}

/// What the done summarises, added up as steps go out.
struct TorchtitanRunSummary {
    var finishedRanks = 0
    var doneSent = false
    private var steps = 0
    private var tokens = 0
    private var start: Double?
    private var finalLoss: Double?
    private var mfuSum = 0.0
    private var mfuSteps = 0

    mutating func add(_ step: Step, start: Double, knownMFUs: [Double]) {
        steps += 1
        tokens += step.ranks.reduce(0) { $0 + $1.tokens }
        self.start = min(self.start ?? start, start)
        finalLoss = step.loss
        if !knownMFUs.isEmpty {
            mfuSum += knownMFUs.reduce(0, +) / Double(knownMFUs.count)
            mfuSteps += 1
        }
    }

    func run(end: Double) -> RunSummary {
        RunSummary(steps: steps, tokens: tokens, seconds: max(0, end - (start ?? end)), finalLoss: finalLoss,
                   meanMFU: mfuSteps > 0 ? mfuSum / Double(mfuSteps) : nil)
    }
}
