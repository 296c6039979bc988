/// What two runs' points are matched by.
public enum Alignment: String, CaseIterable, Sendable {
    /// The same step number.
    case step
    /// The same number of tokens seen (runs of different batches meet where they have seen as
    /// many tokens; points without a token count take no part).
    case tokens

    /// Where `point` sits on this alignment's axis (nil: not on it).
    public func position(_ point: CurvePoint) -> Int? {
        switch self {
        case .step: return point.step
        case .tokens: return point.tokens
        }
    }

    /// The other alignment (the dashboard's toggle).
    public var toggled: Alignment { self == .step ? .tokens : .step }
}

/// A point of the first run and the point of another run at the same position, and how far
/// apart their loss and grad norm are.
public struct PointDifference: Equatable, Sendable {
    public var reference: CurvePoint
    public var other: CurvePoint
    public var loss: Difference
    public var gradNorm: Difference

    public init(reference: CurvePoint, other: CurvePoint) {
        self.reference = reference
        self.other = other
        loss = Difference(reference.loss, other.loss)
        gradNorm = Difference(reference.gradNorm, other.gradNorm)
    }

    public func within(_ rtol: Double) -> Bool { loss.within(rtol) && gradNorm.within(rtol) }
}

extension Alignment {
    /// The points both runs have at the same position, in the reference's order. Exact matches
    /// only: a difference means something only between the same step or the same tokens.
    public func align(_ reference: RunCurve, _ other: RunCurve) -> [PointDifference] {
        var byPosition: [Int: CurvePoint] = [:]
        for point in other.points {
            if let position = position(point), byPosition[position] == nil { byPosition[position] = point }
        }
        var seen: Set<Int> = []
        return reference.points.compactMap { point in
            guard let position = position(point), seen.insert(position).inserted,
                  let match = byPosition[position] else { return nil }
            return PointDifference(reference: point, other: match)
        }
    }
}
