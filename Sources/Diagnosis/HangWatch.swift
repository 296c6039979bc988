import Foundation

/// When the run counts as hung: no step completed for `limit` seconds (`--hang-after`, default the
/// larger of 30 s and 5x the median step). A value the supervisor feeds: steps as they arrive,
/// then `check` on its clock; the answer says when a hang begins and ends.
public struct HangWatch: Equatable, Sendable {
    public enum Change: Equatable, Sendable {
        /// No step for that long: the run is hung from now on.
        case began(stalledFor: Double)
        /// A step arrived during a hang.
        case ended(step: Int, after: Double)
    }

    /// `--hang-after`; nil: the default rule.
    public let fixedLimit: Double?
    public private(set) var lastProgress: Double
    public private(set) var hung = false
    private var stepSeconds: [Double] = []

    public init(limit: Double?, startedAt: Double) {
        fixedLimit = limit
        lastProgress = startedAt
    }

    /// The limit in force: before any step, the default's 30 s floor.
    public var limit: Double {
        if let fixedLimit { return fixedLimit }
        return max(30, 5 * median)
    }

    private var median: Double {
        guard !stepSeconds.isEmpty else { return 0 }
        let sorted = stepSeconds.sorted()
        return sorted[sorted.count / 2]
    }

    /// A step arrived at `now`, having taken `seconds`.
    public mutating func step(_ step: Int, seconds: Double, at now: Double) -> Change? {
        stepSeconds.append(seconds)
        if stepSeconds.count > 50 { stepSeconds.removeFirst() }
        let after = now - lastProgress
        lastProgress = now
        guard hung else { return nil }
        hung = false
        return .ended(step: step, after: after)
    }

    /// Something other than a step shows the run moving on (a checkpoint written, a relaunch).
    public mutating func progress(at now: Double) {
        lastProgress = max(lastProgress, now)
    }

    public mutating func check(at now: Double) -> Change? {
        guard !hung, now - lastProgress > limit else { return nil }
        hung = true
        return .began(stalledFor: now - lastProgress)
    }

    public func stalledFor(at now: Double) -> Double { max(0, now - lastProgress) }
}
