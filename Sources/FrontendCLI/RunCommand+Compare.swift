import ArgumentParser
import Compare
import Dashboard
import Foundation
import RunSources
import RunSpec
import Synchronization
import Telemetry

/// `meshtop run --compare REF`: a reference run overlaid on the live loss chart, and the live
/// run judged against it at every step (compare's verdicts, REF the first run).
public struct ReferenceOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A run to compare this one with as it goes (any run `meshtop compare` reads): its loss on the loss chart, and the verdict so far under it (headless: a line per step).",
        discussion: "E.g. `vs ref.jsonl: identical within 1e-5 to step 12`, or `diverged at step 7: loss 3.1e-3 relative`. See docs/compare.md.",
        valueName: "run"))
    public var compare: String?

    @Option(name: .customLong("compare-rtol"), parsing: .unconditional, help: ArgumentHelp(
        "The relative tolerance of --compare: |a - b| <= rtol * max(|a|, |b|).", valueName: "rtol"))
    public var compareRtol: Double = 1e-5

    public init() {}

    public func validate() throws {
        guard compareRtol.isFinite, compareRtol >= 0, compareRtol < 1 else {
            throw ValidationError("--compare-rtol \(compareRtol): must be at least 0 and below 1")
        }
    }

    /// REF read and checked (refused naming it when it is no run or has no step); nil without --compare.
    public func reference() throws -> LiveReference? {
        guard let compare else { return nil }
        let run: LoadedRun
        do { run = try InputError.refusing { try RunLoader.load(compare) } } catch {
            throw InputError("--compare \(error)")
        }
        let curve = RunCurve(name: RunLabels.name(ofPath: run.path), records: run.records)
        guard !curve.isEmpty else { throw InputError("--compare \(compare): no step to compare (the run has no step event)") }
        return LiveReference(reference: curve, rtol: compareRtol)
    }
}

/// The headless side of `--compare`: the verdict line after each step (the dashboard's state
/// keeps its own copy).
final class ReferenceWatch: Sendable {
    private let reference: Mutex<LiveReference>

    init(_ reference: LiveReference) { self.reference = Mutex(reference) }

    /// The line to say after `record`, if it is a step.
    func line(after record: TelemetryRecord) -> String? {
        reference.withLock { reference in
            reference.record(record.event)
            if case .step = record.event { return reference.line }
            return nil
        }
    }
}
