import Foundation
import Terminal

/// A `Screen` in memory: keeps the last frame, takes keys from `press` (any thread), and
/// counts what a terminal would have written. For tests and benchmarks of `DashboardApp`.
public final class BufferScreen: Screen, @unchecked Sendable {
    private let condition = NSCondition()
    private var keys: [Key] = []
    private var size: (width: Int, height: Int)
    private var lastFrame: Buffer?
    private var drawCount = 0
    private var cellsWritten = 0
    private var restoreCount = 0

    public let truecolor = true

    public init(width: Int, height: Int) { size = (width, height) }

    public var width: Int { locked { size.width } }
    public var height: Int { locked { size.height } }
    /// The last frame drawn (nil before the first).
    public var frame: Buffer? { locked { lastFrame } }
    /// Frames drawn, and cells written (only the changed ones, as a terminal backend would).
    public var draws: Int { locked { drawCount } }
    public var cellWrites: Int { locked { cellsWritten } }
    public var restored: Bool { locked { restoreCount > 0 } }

    public func press(_ key: Key) {
        condition.lock()
        keys.append(key)
        condition.signal()
        condition.unlock()
    }

    /// A new size, announced by a `.resize` key as a terminal does.
    public func resize(width: Int, height: Int) {
        locked { size = (width, height) }
        press(.resize)
    }

    public func draw(_ frame: Buffer) {
        locked {
            cellsWritten += frame.changes(since: lastFrame).count
            lastFrame = frame
            drawCount += 1
        }
    }

    public func readKey(timeout: Double) -> Key? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: max(0, timeout))
        while keys.isEmpty {
            if !condition.wait(until: deadline) { break }
        }
        return keys.isEmpty ? nil : keys.removeFirst()
    }

    public func restore() { locked { restoreCount += 1 } }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }
}
