/// Where two runs first part: the first aligned point at which the loss or the grad norm is not
/// within rtol.
public struct Divergence: Equatable, Sendable {
    public enum Series: String, Sendable { case loss, gradNorm = "grad_norm" }

    /// The first run's step there (and the other's: they differ when aligned by tokens).
    public var step: Int
    public var otherStep: Int
    public var tokens: Int?
    /// What is not within rtol there, the loss first.
    public var series: [Series]
    /// The relative difference of the first of `series`.
    public var relative: Double
    /// The last point before, where both agreed (nil: they differ at the first point in common).
    public var lastAgreeingStep: Int?
    /// They differ at the first point they have in common.
    public var fromTheStart: Bool { lastAgreeingStep == nil }
}

/// What compare says of a run against the first, in order of precedence:
/// 1. `identical`: loss and grad norm within rtol at every aligned point;
/// 2. `gradNormRatio`: the grad norm is a near-constant k times the first's (`GradNormRatio`),
///    with where the loss parts, if it does;
/// 3. `divergesFromStart`: they differ at the first aligned point (step 1: initialisation or
///    data differ);
/// 4. `divergesLater`: they agree at first and part at a later step (gradient reduction or
///    optimizer);
/// 5. `nothingInCommon`: no aligned point at all.
/// Only `identical` is within rtol (compare's exit status 0).
public enum Verdict: Equatable, Sendable {
    case identical(throughStep: Int)
    case gradNormRatio(GradNormRatio, loss: Divergence?)
    case divergesFromStart(Divergence)
    case divergesLater(Divergence)
    case nothingInCommon

    public var isWithinTolerance: Bool {
        if case .identical = self { return true }
        return false
    }

    /// The kind's name in `--json` (`identical`, `grad_norm_ratio`, `diverges_from_start`,
    /// `diverges_later`, `nothing_in_common`).
    public var kind: String {
        switch self {
        case .identical: return "identical"
        case .gradNormRatio: return "grad_norm_ratio"
        case .divergesFromStart: return "diverges_from_start"
        case .divergesLater: return "diverges_later"
        case .nothingInCommon: return "nothing_in_common"
        }
    }

    /// The verdict of `points` (aligned, in order) within `rtol`.
    public static func judge(_ points: [PointDifference], rtol: Double, reference: RunCurve, other: RunCurve) -> Verdict {
        guard let last = points.last else { return .nothingInCommon }
        guard let first = divergence(points, rtol: rtol, counting: { _ in true }) else { return .identical(throughStep: last.reference.step) }
        if let ratio = GradNormRatio.find(points, reference: reference.meshes, other: other.meshes) {
            return .gradNormRatio(ratio, loss: divergence(points, rtol: rtol, counting: { $0 == .loss }))
        }
        return first.fromTheStart ? .divergesFromStart(first) : .divergesLater(first)
    }

    /// The first point where one of the series `counts` takes is not within rtol.
    static func divergence(_ points: [PointDifference], rtol: Double, counting counts: (Divergence.Series) -> Bool) -> Divergence? {
        var lastAgreeing: Int?
        for point in points {
            var series: [(Divergence.Series, Double)] = []
            if counts(.loss) && !point.loss.within(rtol) { series.append((.loss, point.loss.relative)) }
            if counts(.gradNorm) && !point.gradNorm.within(rtol) { series.append((.gradNorm, point.gradNorm.relative)) }
            if let head = series.first {
                return Divergence(step: point.reference.step, otherStep: point.other.step, tokens: point.reference.tokens,
                                  series: series.map(\.0), relative: head.1, lastAgreeingStep: lastAgreeing)
            }
            lastAgreeing = point.reference.step
        }
        return nil
    }
}
