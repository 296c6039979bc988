import Foundation
import Synchronization
import Terminal

/// A `Screen` in memory: keeps the last frame, takes keys from `press` (any thread), and
/// counts what a terminal would have written. For tests and benchmarks of `DashboardApp`.
public final class BufferScreen: Screen, Sendable {
    private struct State {
        var keys: [Key] = []
        var size: (width: Int, height: Int)
        var lastFrame: Buffer?
        var drawCount = 0
        var cellsWritten = 0
        var restoreCount = 0
    }
    private let state: Mutex<State>
    /// Signals a pressed key: taken around `press`'s change and `readKey`'s check and wait.
    private let pressed = NSCondition()

    public let truecolor = true

    public init(width: Int, height: Int) { state = Mutex(State(size: (width, height))) }

    public var width: Int { state.withLock { $0.size.width } }
    public var height: Int { state.withLock { $0.size.height } }
    /// The last frame drawn (nil before the first).
    public var frame: Buffer? { state.withLock { $0.lastFrame } }
    /// Frames drawn, and cells written (only the changed ones, as a terminal backend would).
    public var draws: Int { state.withLock { $0.drawCount } }
    public var cellWrites: Int { state.withLock { $0.cellsWritten } }
    public var restored: Bool { state.withLock { $0.restoreCount > 0 } }

    public func press(_ key: Key) {
        pressed.withLock {
            state.withLock { $0.keys.append(key) }
            pressed.signal()
        }
    }

    /// A new size, announced by a `.resize` key as a terminal does.
    public func resize(width: Int, height: Int) {
        state.withLock { $0.size = (width, height) }
        press(.resize)
    }

    public func draw(_ frame: Buffer) {
        state.withLock { s in
            s.cellsWritten += frame.changes(since: s.lastFrame).count
            s.lastFrame = frame
            s.drawCount += 1
        }
    }

    public func readKey(timeout: Double) -> Key? {
        pressed.lock()
        defer { pressed.unlock() }
        let deadline = Date(timeIntervalSinceNow: max(0, timeout))
        while state.withLock({ $0.keys.isEmpty }) {
            if !pressed.wait(until: deadline) { break }
        }
        return state.withLock { $0.keys.isEmpty ? nil : $0.keys.removeFirst() }
    }

    public func restore() { state.withLock { $0.restoreCount += 1 } }
}
