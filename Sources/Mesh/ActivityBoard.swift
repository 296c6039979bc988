#if canImport(Glibc)
import Glibc
#endif
import RunSpec
import Synchronization

/// What this rank is doing, written by the training loop and its collectives, read by the
/// heartbeat thread (which never calls MPI, so it reports while the loop is blocked in it).
public final class ActivityBoard: Sendable {
    private let state: Mutex<RankActivity>
    /// Seconds blocked per axis and operation since the last `takeWaits`, and since when the
    /// rank has been blocked in `waitingIn`.
    private let blocked = Mutex((waits: [Double](repeating: 0, count: 3 * CollectiveOperation.allCases.count), since: 0.0))

    public init() {
        state = Mutex(RankActivity(phaseSince: unixNow()))
    }

    /// Seconds blocked since the last call, by axis and operation (only those that waited),
    /// keyed as the wire keys them ("shard" → "all_gather" → seconds); then starts again.
    public func takeWaits() -> [String: [String: Double]] {
        let waits = blocked.withLock { b in
            defer { for i in b.waits.indices { b.waits[i] = 0 } }
            return b.waits
        }
        var result: [String: [String: Double]] = [:]
        for axis in MeshAxis.allCases {
            for operation in CollectiveOperation.allCases {
                let seconds = waits[Int(axis.rawValue) * CollectiveOperation.allCases.count + Int(operation.rawValue)]
                if seconds > 0 { result[axis.name, default: [:]][operation.name] = seconds }
            }
        }
        return result
    }

    public var snapshot: RankActivity { state.withLock { $0 } }

    public func enter(_ phase: RankPhase) {
        let now = unixNow()
        state.withLock { a in
            guard a.phase != phase else { return }
            a.phase = phase
            a.phaseSince = now
        }
    }

    /// Step `step` (1-based) begins.
    public func begin(step: Int) {
        state.withLock { $0.step = step }
    }

    public func completed(steps: Int) {
        state.withLock { $0.completedSteps = steps }
    }

    /// The rank entered a call on `axis`: the next sequence number of that communicator.
    func enter(_ operation: CollectiveOperation, axis: MeshAxis, group: Int, bytes: Int) -> CollectiveCall {
        let now = unixNow()
        return state.withLock { a in
            a.entered[Int(axis.rawValue)] += 1
            return CollectiveCall(operation: operation, axis: axis, group: group,
                                  sequence: a.entered[Int(axis.rawValue)], bytes: bytes, startedAt: now)
        }
    }

    /// The rank blocks until `call` completes.
    func waiting(in call: CollectiveCall) {
        state.withLock { $0.waitingIn = call }
        let clock = monotonicNow()
        blocked.withLock { $0.since = clock }
    }

    func finished(_ call: CollectiveCall) {
        let now = unixNow()
        let waited = state.withLock { a -> Bool in
            let waited = a.waitingIn == call
            if waited { a.waitingIn = nil }
            // A started call can complete after a later one (test() finds it done): keep the newest.
            if let last = a.lastCompleted, last.axis == call.axis, last.sequence > call.sequence { return waited }
            a.lastCompleted = call
            a.lastCompletedAt = now
            return waited
        }
        if waited {
            let index = Int(call.axis.rawValue) * CollectiveOperation.allCases.count + Int(call.operation.rawValue)
            let clock = monotonicNow()
            blocked.withLock { $0.waits[index] += clock - $0.since }
        }
    }
}

/// Unix seconds (the heartbeats carry wall-clock times; the front end compares them with its own).
func unixNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Seconds on the monotonic clock (blocked times must not jump with the wall clock).
func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
