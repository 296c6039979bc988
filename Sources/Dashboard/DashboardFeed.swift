import Foundation
import Synchronization

/// Inputs on their way to the dashboard: any thread pushes (the telemetry receiver, the
/// launcher's output readers), the app's loop drains them in order.
public final class DashboardFeed: Sendable {
    private let state = Mutex((pending: [DashboardInput](), exitRequested: false))

    public init() {}

    public func push(_ input: DashboardInput) {
        state.withLock { $0.pending.append(input) }
    }

    /// Asks `DashboardApp.run()` to return at its next turn (within 100 ms), whatever the run does.
    public func requestExit() {
        state.withLock { $0.exitRequested = true }
    }

    func drain() -> (inputs: [DashboardInput], exit: Bool) {
        state.withLock { s in
            let inputs = s.pending
            s.pending.removeAll(keepingCapacity: true)
            return (inputs, s.exitRequested)
        }
    }
}
