/// Values by step, steps strictly increasing. A step that is not after the last one (a run
/// resumed from a checkpoint repeats steps) replaces everything from that step on, so a resumed
/// run continues one curve instead of drawing back over itself.
public struct StepSeries: Equatable, Sendable {
    public private(set) var steps: [Int] = []
    public private(set) var values: [Double] = []

    public init() {}

    public var count: Int { steps.count }
    public var isEmpty: Bool { steps.isEmpty }
    public var lastStep: Int? { steps.last }
    public var lastValue: Double? { values.last }

    public mutating func record(step: Int, value: Double) {
        if let last = steps.last, step <= last {
            let keep = firstIndex(atOrAfter: step)
            steps.removeSubrange(keep...)
            values.removeSubrange(keep...)
        }
        steps.append(step)
        values.append(value)
    }

    /// The index of the first step >= `step` (`count` if none): a binary search.
    public func firstIndex(atOrAfter step: Int) -> Int {
        var low = 0, high = steps.count
        while low < high {
            let mid = (low + high) / 2
            if steps[mid] < step { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

/// A short history of recent values (the throughput panel's sparklines): the newest `capacity`.
public struct RecentValues: Equatable, Sendable {
    public let capacity: Int
    public private(set) var values: [Double] = []

    public init(capacity: Int = 120) { self.capacity = max(1, capacity) }

    public var last: Double? { values.last }

    public mutating func append(_ value: Double) {
        if values.count == capacity { values.removeFirst() }
        values.append(value)
    }
}
