/// One run against the first: their aligned points, how far apart, and the verdict.
public struct PairComparison: Equatable, Sendable {
    /// Indices into `Comparison.runs`: 0, and the other run.
    public var reference: Int
    public var other: Int
    public var points: [PointDifference]
    public var verdict: Verdict
    /// The largest absolute and relative difference over the points (each on its own).
    public var largestLoss: Difference?
    public var largestGradNorm: Difference?

    public init(reference: Int, other: Int, curves: [RunCurve], rtol: Double, alignment: Alignment) {
        self.reference = reference
        self.other = other
        points = alignment.align(curves[reference], curves[other])
        verdict = Verdict.judge(points, rtol: rtol, reference: curves[reference], other: curves[other])
        largestLoss = Self.largest(points.map(\.loss))
        largestGradNorm = Self.largest(points.map(\.gradNorm))
    }

    static func largest(_ differences: [Difference]) -> Difference? {
        guard !differences.isEmpty else { return nil }
        // NaN never wins a max: a non-finite pair is infinity already (Tolerance).
        return Difference(absolute: differences.map(\.absolute).max()!, relative: differences.map(\.relative).max()!)
    }
}

/// Runs side by side: every run against the first, aligned by step or by tokens, within rtol.
public struct Comparison: Equatable, Sendable {
    /// The runs, labelled so that no two share a label (`RunLabels`).
    public let runs: [RunCurve]
    public let rtol: Double
    public let alignment: Alignment
    /// Run i against run 0, for i from 1.
    public let pairs: [PairComparison]

    public init(runs: [RunCurve], rtol: Double, alignment: Alignment = .step) {
        self.runs = RunLabels.disambiguated(runs)
        self.rtol = rtol
        self.alignment = alignment
        let labelled = self.runs
        pairs = labelled.indices.dropFirst().map {
            PairComparison(reference: 0, other: $0, curves: labelled, rtol: rtol, alignment: alignment)
        }
    }

    /// Whether every run is within rtol of the first (compare's exit status 0).
    public var allWithinTolerance: Bool { pairs.allSatisfy { $0.verdict.isWithinTolerance } }

    /// The same runs aligned the other way.
    public func aligned(by alignment: Alignment) -> Comparison {
        alignment == self.alignment ? self : Comparison(runs: runs, rtol: rtol, alignment: alignment)
    }
}
