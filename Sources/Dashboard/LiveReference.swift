import Compare
import Telemetry

/// `meshtop run --compare REF`: the reference run beside the live one, and the verdict of the
/// live run against it so far (compare's verdicts, REF the first run), renewed at every step.
public struct LiveReference: Equatable, Sendable {
    /// REF's curve; its `name` is what the legend and the verdict line call it.
    public let reference: RunCurve
    public let rtol: Double
    /// The live run's curve so far.
    public private(set) var live: RunCurve
    public private(set) var verdict: Verdict = .nothingInCommon

    public init(reference: RunCurve, rtol: Double) {
        self.reference = reference
        self.rtol = rtol
        live = RunCurve(name: "live")
    }

    /// Folds one of the live run's events in (a hello's mesh, a step).
    public mutating func record(_ event: Event) {
        switch event {
        case .hello, .step:
            live.add(event)
            if case .step = event {
                verdict = Verdict.judge(Alignment.step.align(reference, live), rtol: rtol, reference: reference, other: live)
            }
        default:
            break
        }
    }

    /// `vs ref.jsonl: identical within 1e-5 to step 12`, `vs ref.jsonl: diverged at step 7: loss 3.1e-3 relative ...`.
    public var line: String { "vs \(reference.name): " + VerdictText.line(verdict, rtol: rtol, live: true) }
}
