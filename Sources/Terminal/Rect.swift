/// A rectangle of cells: columns x ..< x + width, rows y ..< y + height.
public struct Rect: Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public static let zero = Rect(x: 0, y: 0, width: 0, height: 0)

    public var isEmpty: Bool { width == 0 || height == 0 }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var area: Int { width * height }
    public var description: String { "\(width)x\(height)+\(x)+\(y)" }

    /// Smaller by `by` cells on every side (a border's inside).
    public func inset(_ by: Int = 1) -> Rect { inset(horizontal: by, vertical: by) }

    public func inset(horizontal: Int, vertical: Int) -> Rect {
        Rect(x: x + horizontal, y: y + vertical, width: width - 2 * horizontal, height: height - 2 * vertical)
    }

    /// The part of both (empty when they do not meet).
    public func intersection(_ other: Rect) -> Rect {
        let left = max(x, other.x), top = max(y, other.y)
        let right = min(maxX, other.maxX), bottom = min(maxY, other.maxY)
        return Rect(x: left, y: top, width: right - left, height: bottom - top)
    }

    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }

    /// Rows `from ..< from + count` of this rectangle (clipped).
    public func rows(_ from: Int, _ count: Int) -> Rect {
        intersection(Rect(x: x, y: y + from, width: width, height: count))
    }

    /// Split top to bottom by `constraints` (see `Layout`).
    public func splitRows(_ constraints: [Constraint]) -> [Rect] {
        Layout.sizes(constraints, total: height).reduce(into: ([Rect](), y)) { acc, size in
            acc.0.append(Rect(x: x, y: acc.1, width: width, height: size))
            acc.1 += size
        }.0
    }

    /// Split left to right by `constraints` (see `Layout`).
    public func splitColumns(_ constraints: [Constraint]) -> [Rect] {
        Layout.sizes(constraints, total: width).reduce(into: ([Rect](), x)) { acc, size in
            acc.0.append(Rect(x: acc.1, y: y, width: size, height: height))
            acc.1 += size
        }.0
    }
}

/// How much of a split one part takes.
public enum Constraint: Hashable, Sendable {
    /// Exactly n cells (less if the total runs out).
    case length(Int)
    /// A share of the total (0...100).
    case percentage(Int)
    /// At least n cells, then an equal share of what is left over.
    case fill(min: Int)
}

/// Computed layouts (no hand-placed coordinates): fixed lengths and percentages are served in
/// order while they fit, then the fills share what is left evenly (earlier ones take the
/// rounding). The sizes always add up to the total when any fill is present.
public enum Layout {
    public static func sizes(_ constraints: [Constraint], total: Int) -> [Int] {
        var remaining = max(0, total)
        var sizes = [Int](repeating: 0, count: constraints.count)
        var fills: [Int] = []
        for (index, constraint) in constraints.enumerated() {
            switch constraint {
            case .length(let n):
                sizes[index] = min(max(0, n), remaining)
            case .percentage(let p):
                sizes[index] = min(total * max(0, min(100, p)) / 100, remaining)
            case .fill(let minimum):
                sizes[index] = min(max(0, minimum), remaining)
                fills.append(index)
            }
            remaining -= sizes[index]
        }
        guard !fills.isEmpty else { return sizes }
        let share = remaining / fills.count
        var extra = remaining % fills.count
        for index in fills {
            sizes[index] += share + (extra > 0 ? 1 : 0)
            if extra > 0 { extra -= 1 }
        }
        return sizes
    }
}
