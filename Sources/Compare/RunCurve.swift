import Foundation
import Telemetry

/// One optimizer step of a run as compare sees it.
public struct CurvePoint: Equatable, Sendable {
    public var step: Int
    /// Tokens seen up to and including this step: every rank's tokens, summed over the steps.
    /// nil when the source does not say (a step without per-rank figures, and every step after it).
    public var tokens: Int?
    public var loss: Double
    public var gradNorm: Double

    public init(step: Int, tokens: Int?, loss: Double, gradNorm: Double) {
        self.step = step; self.tokens = tokens; self.loss = loss; self.gradNorm = gradNorm
    }
}

/// A run's loss and grad norm by step and by tokens seen, with the meshes it ran on.
///
/// Steps are strictly increasing: a step that is not after the last one (a run resumed from a
/// checkpoint repeats steps) replaces every point from that step on, as the dashboard's chart
/// does. A run whose first step is k > 1 (a resumed run recorded in a file of its own) counts
/// k - 1 steps of its first step's tokens before it: meshtop keeps the global batch across
/// resumes and mesh switches, so that is what it saw.
public struct RunCurve: Equatable, Sendable {
    /// Where it came from, shortened to the file name: the label of a run without a hello, and
    /// what tells two runs of the same mesh apart.
    public var name: String
    /// Every mesh it ran on, in order of first use (empty: the source had no hello).
    public private(set) var meshes: [MeshLayout]
    /// The legend's label (`RunLabels`); the mesh and strategy, else `name`.
    public var label: String
    public private(set) var points: [CurvePoint] = []

    public init(name: String, meshes: [MeshLayout] = [], points: [CurvePoint] = []) {
        self.name = name
        self.meshes = meshes
        self.label = RunLabels.base(name: name, meshes: meshes)
        for point in points { add(point) }
    }

    /// The curve of a run's events (LoadedRun.records): its hellos' meshes and its steps.
    public init(name: String, records: [TelemetryRecord]) {
        self.init(name: name)
        for record in records { add(record.event) }
        label = RunLabels.base(name: name, meshes: meshes)
    }

    /// Folds one event in: a hello's mesh, a step's point; other events say nothing here.
    public mutating func add(_ event: Event) {
        switch event {
        case .hello(let hello):
            if !meshes.contains(hello.mesh) { meshes.append(hello.mesh) }
        case .step(let step):
            add(step)
        default:
            break
        }
    }

    public mutating func add(_ step: Telemetry.Step) {
        let tokens = step.ranks.isEmpty ? nil : step.ranks.reduce(0) { $0 &+ $1.tokens }
        replaceFrom(step.step)
        let before: Int?
        if let last = points.last {
            before = last.tokens
        } else {
            before = tokens.map { $0 &* max(0, step.step - 1) }
        }
        let seen = tokens.flatMap { t in before.map { $0 &+ t } }
        points.append(CurvePoint(step: step.step, tokens: seen, loss: step.loss, gradNorm: step.gradNorm))
    }

    /// Appends a point as it is (constructed curves); a step not after the last replaces from there.
    public mutating func add(_ point: CurvePoint) {
        replaceFrom(point.step)
        points.append(point)
    }

    public var isEmpty: Bool { points.isEmpty }
    public var firstStep: Int? { points.first?.step }
    public var lastStep: Int? { points.last?.step }

    private mutating func replaceFrom(_ step: Int) {
        guard let last = points.last, step <= last.step else { return }
        points.removeAll { $0.step >= step }
    }
}
