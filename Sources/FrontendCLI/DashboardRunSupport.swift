import Dashboard
import Foundation
import Launcher

// The small synchronisation pieces between the dashboard's thread and the job's.

extension RunPhase {
    init(_ phase: Job.Phase) {
        switch phase {
        case .checkpointing: self = .checkpointing
        case .relaunching: self = .relaunching
        case .resharding: self = .resharding
        case .running: self = .running
        }
    }
}

/// The job thread's exit status, once it is known.
final class JobOutcome: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Int32?

    var status: Int32? { condition.lock(); defer { condition.unlock() }; return value }

    func set(_ status: Int32) {
        condition.lock(); value = status; condition.broadcast(); condition.unlock()
    }

    func wait() -> Int32 {
        condition.lock(); defer { condition.unlock() }
        while value == nil { condition.wait() }
        return value!
    }
}

/// Pairs up the lines two sources both deliver (rank 0's log lines: printed, and sent as events)
/// so each is shown once, whichever comes first.
final class EchoFilter: @unchecked Sendable {
    private let lock = NSLock()
    private var unmatched: [Bool: [String]] = [true: [], false: []]
    private let limit = 256

    /// Whether to show `line` from this source: not when the other source already delivered it.
    func admit(_ line: String, fromEvents: Bool) -> Bool {
        let text = line.trimmingCharacters(in: .whitespaces)
        return lock.withLock {
            if let index = unmatched[!fromEvents]!.firstIndex(of: text) {
                unmatched[!fromEvents]!.remove(at: index)
                return false
            }
            unmatched[fromEvents]!.append(text)
            if unmatched[fromEvents]!.count > limit { unmatched[fromEvents]!.removeFirst() }
            return true
        }
    }
}

/// After a failed switch the job thread waits here for the user's R (retry on the old mesh) or
/// for the dashboard to close.
final class RetryGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var asked = false
    private var closed = false

    /// R was pressed.
    func open() { condition.lock(); asked = true; condition.broadcast(); condition.unlock() }

    /// The dashboard is gone: no retry will come.
    func close() { condition.lock(); closed = true; condition.broadcast(); condition.unlock() }

    /// True for a retry (consumed), false once closed.
    func wait() -> Bool {
        condition.lock(); defer { condition.unlock() }
        while !asked && !closed { condition.wait() }
        if closed { return false }
        asked = false
        return true
    }
}
