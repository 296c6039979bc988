import Foundation

/// Fault injection, for tests and demos only (docs/architecture.md, "Fault injection"): a rank made
/// slow, or stopped, on purpose, so that what the dashboard and the supervisor do about a straggler
/// or a hung rank can be seen and tested on one machine.

/// `--debug-slow-rank R:FACTOR`: rank R's forward and backward take FACTOR times as long. After each
/// unit's compute the rank waits (FACTOR - 1) times what that unit took, so its peers wait for it in
/// the collectives that follow; the wait counts as compute.
public struct SlowRank: Codable, Equatable, Sendable, CustomStringConvertible {
    public var rank: Int
    public var factor: Double

    public init(rank: Int, factor: Double) {
        self.rank = rank
        self.factor = factor
    }

    /// "3:2.0" or "3:2".
    public static func parse(_ text: String) throws -> SlowRank {
        let (rank, value) = try FaultInjectionText.split(text, expected: "R:FACTOR, e.g. 3:2.0")
        guard let factor = Double(value), factor.isFinite else {
            throw InputError("FACTOR must be a number, as in R:FACTOR (e.g. 3:2.0)")
        }
        return SlowRank(rank: rank, factor: factor)
    }

    /// As parse reads it back.
    public var description: String { "\(rank):\(factor)" }
}

/// `--debug-stall-rank R:STEP`: rank R stops itself (SIGSTOP) at the start of step STEP, before any
/// collective of that step, and goes on when it is sent SIGCONT; its peers wait in that step's first
/// collective meanwhile.
public struct StallRank: Codable, Equatable, Sendable, CustomStringConvertible {
    public var rank: Int
    /// 1-based, as the step line counts.
    public var step: Int

    public init(rank: Int, step: Int) {
        self.rank = rank
        self.step = step
    }

    /// "3:2".
    public static func parse(_ text: String) throws -> StallRank {
        let (rank, value) = try FaultInjectionText.split(text, expected: "R:STEP, e.g. 3:2")
        guard let step = Int(value) else { throw InputError("STEP must be an integer, as in R:STEP (e.g. 3:2)") }
        return StallRank(rank: rank, step: step)
    }

    public var description: String { "\(rank):\(step)" }
}

enum FaultInjectionText {
    /// "R:VALUE" as the rank and the text after the colon.
    static func split(_ text: String, expected: String) throws -> (rank: Int, value: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let rank = Int(parts[0]), !parts[1].isEmpty else {
            throw InputError("expected \(expected)")
        }
        return (rank, parts[1])
    }
}
