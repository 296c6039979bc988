import Dashboard
import Foundation
import Synchronization
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
final class JobOutcome: Sendable {
    private let value = Mutex<Int32?>(nil)
    /// Signals the status: taken around `set`'s change and `wait`'s check and wait.
    private let known = NSCondition()

    var status: Int32? { value.withLock { $0 } }

    func set(_ status: Int32) {
        known.withLock {
            value.withLock { $0 = status }
            known.broadcast()
        }
    }

    func wait() -> Int32 {
        known.lock(); defer { known.unlock() }
        while true {
            if let status = value.withLock({ $0 }) { return status }
            known.wait()
        }
    }
}

/// Pairs up the lines two sources both deliver (rank 0's log lines: printed, and sent as events)
/// so each is shown once, whichever comes first.
final class EchoFilter: Sendable {
    private let unmatched = Mutex<[Bool: [String]]>([true: [], false: []])
    private let limit = 256

    /// Whether to show `line` from this source: not when the other source already delivered it.
    func admit(_ line: String, fromEvents: Bool) -> Bool {
        let text = line.trimmingCharacters(in: .whitespaces)
        let limit = self.limit
        return unmatched.withLock { unmatched in
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
final class RetryGate: Sendable {
    private let state = Mutex((asked: false, closed: false))
    /// Signals a change of `state`: taken around every change and around `wait`'s check and wait.
    private let changed = NSCondition()

    /// R was pressed.
    func open() { changed.withLock { state.withLock { $0.asked = true }; changed.broadcast() } }

    /// The dashboard is gone: no retry will come.
    func close() { changed.withLock { state.withLock { $0.closed = true }; changed.broadcast() } }

    /// True for a retry (consumed), false once closed.
    func wait() -> Bool {
        changed.lock(); defer { changed.unlock() }
        while true {
            let answer = state.withLock { s -> Bool? in
                if s.closed { return false }
                if s.asked { s.asked = false; return true }
                return nil
            }
            if let answer { return answer }
            changed.wait()
        }
    }
}
