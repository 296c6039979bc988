import Foundation

/// Inputs on their way to the dashboard: any thread pushes (the telemetry receiver, the
/// launcher's output readers), the app's loop drains them in order.
public final class DashboardFeed: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [DashboardInput] = []
    private var exitRequested = false

    public init() {}

    public func push(_ input: DashboardInput) {
        lock.lock()
        pending.append(input)
        lock.unlock()
    }

    /// Asks `DashboardApp.run()` to return at its next turn (within 100 ms), whatever the run does.
    public func requestExit() {
        lock.lock()
        exitRequested = true
        lock.unlock()
    }

    func drain() -> (inputs: [DashboardInput], exit: Bool) {
        lock.lock()
        defer { lock.unlock() }
        let inputs = pending
        pending.removeAll(keepingCapacity: true)
        return (inputs, exitRequested)
    }
}
