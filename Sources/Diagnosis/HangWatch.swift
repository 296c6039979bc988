import Foundation

/// When the run counts as hung: no step completed for `limit` seconds (`--hang-after`, default the
/// larger of 30 s and 5x the median step), or, sooner, ranks of a group have waited in a call that
/// a peer of theirs has not entered for `divergenceLimit` seconds (their sequence numbers diverged).
/// A value the supervisor feeds: steps as they arrive, then `check` on its clock; the answer says
/// when a hang begins and ends.
public struct HangWatch: Equatable, Sendable {
    public enum Change: Equatable, Sendable {
        /// No step for that long (or ranks waiting for a peer that long): hung from now on.
        case began(stalledFor: Double, divergedFor: Double? = nil)
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

    /// A wait for a peer that has not entered the call (a group's sequence numbers apart) is a
    /// hang after the larger of 10 s and 2x the median step: no call of a step lasts longer than
    /// the step, so twice one is past any straggler. Never later than `limit`.
    public var divergenceLimit: Double { min(limit, max(10, 2 * median)) }

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

    /// `divergedFor`: the longest a group has waited in a call a peer has not entered
    /// (HangReport.divergedFor), 0 when none has.
    public mutating func check(at now: Double, divergedFor: Double = 0) -> Change? {
        guard !hung else { return nil }
        if now - lastProgress > limit {
            hung = true
            return .began(stalledFor: now - lastProgress)
        }
        guard divergedFor > divergenceLimit else { return nil }
        hung = true
        return .began(stalledFor: now - lastProgress, divergedFor: divergedFor)
    }

    public func stalledFor(at now: Double) -> Double { max(0, now - lastProgress) }
}
