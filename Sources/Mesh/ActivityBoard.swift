#if canImport(Glibc)
import Glibc
#endif
import RunSpec
import Synchronization

/// What this rank is doing, written by the training loop and its collectives, read by the
/// heartbeat thread (which never calls MPI, so it reports while the loop is blocked in it).
public final class ActivityBoard: Sendable {
    private let state: Mutex<RankActivity>

    public init() {
        state = Mutex(RankActivity(phaseSince: unixNow()))
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
    }

    func finished(_ call: CollectiveCall) {
        let now = unixNow()
        state.withLock { a in
            if a.waitingIn == call { a.waitingIn = nil }
            // A started call can complete after a later one (test() finds it done): keep the newest.
            if let last = a.lastCompleted, last.axis == call.axis, last.sequence > call.sequence { return }
            a.lastCompleted = call
            a.lastCompletedAt = now
        }
    }
}

/// Unix seconds (the heartbeats carry wall-clock times; the front end compares them with its own).
func unixNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
