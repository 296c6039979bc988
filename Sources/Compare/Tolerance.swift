/// When two values count as the same, and how far apart they are.
///
/// Within rtol: `|a - b| <= rtol * max(|a|, |b|)`, symmetric in a and b (so 0 and 0 agree, and
/// 0 agrees with nothing else). Two non-finite values agree when they are the same (both NaN,
/// or the same infinity: two runs that blew up at the same step); a non-finite value agrees
/// with no finite one.
public enum Tolerance {
    public static func agree(_ a: Double, _ b: Double, rtol: Double) -> Bool {
        relative(a, b) <= rtol
    }

    /// `|a - b|`; 0 for the same non-finite value, infinity when only one is finite or they are
    /// different non-finite values.
    public static func absolute(_ a: Double, _ b: Double) -> Double {
        if a.isFinite && b.isFinite { return abs(a - b) }
        return sameNonFinite(a, b) ? 0 : .infinity
    }

    /// `|a - b| / max(|a|, |b|)` (0 when both are 0); non-finite values as `absolute`.
    public static func relative(_ a: Double, _ b: Double) -> Double {
        guard a.isFinite && b.isFinite else { return sameNonFinite(a, b) ? 0 : .infinity }
        let scale = max(abs(a), abs(b))
        guard scale > 0 else { return 0 }
        let difference = abs(a - b)
        return difference.isFinite ? difference / scale : .infinity
    }

    private static func sameNonFinite(_ a: Double, _ b: Double) -> Bool {
        (a.isNaN && b.isNaN) || (a.isInfinite && a == b)
    }
}

/// How far apart two values are.
public struct Difference: Equatable, Sendable {
    public var absolute: Double
    public var relative: Double

    public init(_ a: Double, _ b: Double) {
        absolute = Tolerance.absolute(a, b)
        relative = Tolerance.relative(a, b)
    }

    public init(absolute: Double, relative: Double) {
        self.absolute = absolute; self.relative = relative
    }

    public func within(_ rtol: Double) -> Bool { relative <= rtol }
}
