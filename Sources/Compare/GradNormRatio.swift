import Foundation
import Telemetry

/// The other run's grad norm over the first's, when it is a near-constant k: the signature of a
/// gradient reduced over the wrong group or not averaged (a grad norm off by exactly the
/// data-parallel degree is a classic).
///
/// Near-constant: at least `minimumPoints` aligned points where both grad norms are finite and
/// not zero, every ratio within `spreadTolerance` (1%) of their median k, and k at least
/// `distanceFromOne` (10%) away from 1 (a ratio closer to 1 is left to the divergence verdicts).
public struct GradNormRatio: Equatable, Sendable {
    public static let minimumPoints = 2
    public static let spreadTolerance = 0.01
    public static let distanceFromOne = 0.1

    /// The median ratio, other / first.
    public var k: Double
    /// The largest `|ratio - k| / k`.
    public var spread: Double
    /// The points it was measured over.
    public var points: Int
    /// The mesh degrees of either run that k (or 1/k) equals within `spreadTolerance`.
    public var degrees: [DegreeMatch]

    /// The ratio over `points`, if it is near-constant; `reference` and `other` are the meshes
    /// of the first run and of the other (for naming the degree).
    public static func find(_ points: [PointDifference], reference: [MeshLayout], other: [MeshLayout]) -> GradNormRatio? {
        let ratios = points.compactMap { p -> Double? in
            let a = p.reference.gradNorm, b = p.other.gradNorm
            guard a.isFinite, b.isFinite, a != 0, b != 0 else { return nil }
            let r = b / a
            return r.isFinite && r != 0 ? r : nil
        }
        guard ratios.count >= minimumPoints else { return nil }
        let sorted = ratios.sorted()
        let middle = sorted.count / 2
        let k = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        let spread = ratios.map { abs($0 - k) / abs(k) }.max() ?? 0
        guard spread <= spreadTolerance, abs(k - 1) >= distanceFromOne else { return nil }
        let degrees = DegreeMatch.matches(k, reference: reference, other: other)
        return GradNormRatio(k: k, spread: spread, points: ratios.count, degrees: degrees)
    }
}

/// A mesh degree a grad norm ratio equals: `dp` (R x S), `dp_replicate` (R) or `dp_shard` (S)
/// of one of the two runs' meshes, or one over it; failing those, a square root of one (norms
/// summed over copies instead of their squares).
public struct DegreeMatch: Equatable, Sendable {
    public enum Run: String, Sendable { case reference, other }
    public enum Degree: String, CaseIterable, Sendable {
        case dp, dpReplicate = "dp_replicate", dpShard = "dp_shard"

        func value(_ mesh: MeshLayout) -> Int {
            switch self {
            case .dp: return mesh.replicate * mesh.shard
            case .dpReplicate: return mesh.replicate
            case .dpShard: return mesh.shard
            }
        }
    }

    public var run: Run
    public var mesh: MeshLayout
    public var degree: Degree
    public var value: Int
    /// k is the square root of the degree.
    public var root: Bool
    /// k is one over it (the other run's grad norm is the smaller).
    public var inverse: Bool

    /// Every degree above 1 of either run's meshes that k (or 1/k) equals within the ratio's
    /// tolerance; square roots only when no degree itself matches.
    static func matches(_ k: Double, reference: [MeshLayout], other: [MeshLayout]) -> [DegreeMatch] {
        let all = matches(k, run: .reference, meshes: reference) + matches(k, run: .other, meshes: other)
        let exact = all.filter { !$0.root }
        return exact.isEmpty ? all : exact
    }

    static func matches(_ k: Double, run: Run, meshes: [MeshLayout]) -> [DegreeMatch] {
        var out: [DegreeMatch] = []
        for mesh in meshes {
            for degree in Degree.allCases {
                let value = degree.value(mesh)
                guard value > 1 else { continue }
                for root in [false, true] {
                    let target = root ? Double(value).squareRoot() : Double(value)
                    for inverse in [false, true] {
                        let wanted = inverse ? 1 / target : target
                        if abs(k - wanted) <= GradNormRatio.spreadTolerance * wanted {
                            out.append(DegreeMatch(run: run, mesh: mesh, degree: degree, value: value, root: root, inverse: inverse))
                        }
                    }
                }
            }
        }
        return out
    }
}
