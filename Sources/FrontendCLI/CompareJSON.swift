import Compare
import Foundation
import RunSources
import Telemetry

/// `meshtop compare --json`: one object with the runs, their points, every pair's differences
/// and verdict (docs/compare.md). NaN and the infinities are the strings "NaN", "Infinity" and
/// "-Infinity", as in the telemetry; an unknown token count is absent.
enum CompareJSON {
    static func text(_ comparison: Comparison, _ loaded: [LoadedRun]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(Document(comparison, loaded)), as: UTF8.self)
    }

    struct Document: Encodable {
        let rtol: Double
        let align: String
        let within_rtol: String
        let all_within_rtol: Bool
        let runs: [Run]
        let pairs: [Pair]

        init(_ c: Comparison, _ loaded: [LoadedRun]) {
            rtol = c.rtol
            align = c.alignment.rawValue
            within_rtol = "|a - b| <= rtol * max(|a|, |b|)"
            all_within_rtol = c.allWithinTolerance
            runs = c.runs.indices.map { Run(index: $0 + 1, curve: c.runs[$0], loaded: loaded[$0]) }
            pairs = c.pairs.map { Pair($0, c) }
        }
    }

    struct Run: Encodable {
        let index: Int
        let label, name, path, source: String
        let meshes: [MeshLayout]
        let skipped: [String]
        let points: [Point]

        init(index: Int, curve: RunCurve, loaded: LoadedRun) {
            self.index = index
            label = curve.label; name = curve.name; path = loaded.path; source = loaded.source.rawValue
            meshes = curve.meshes; skipped = loaded.skipped
            points = curve.points.map { Point(step: $0.step, tokens: $0.tokens, loss: $0.loss, grad_norm: $0.gradNorm) }
        }
    }

    struct Point: Encodable {
        let step: Int
        let tokens: Int?
        let loss, grad_norm: Double
    }

    struct Pair: Encodable {
        let reference, run: Int
        let aligned_points: Int
        let verdict: VerdictJSON
        let largest: [String: Figure]
        let differences: [PointJSON]

        init(_ p: PairComparison, _ c: Comparison) {
            reference = p.reference + 1
            run = p.other + 1
            aligned_points = p.points.count
            verdict = VerdictJSON(p.verdict, c, runs: [.reference: p.reference + 1, .other: p.other + 1])
            var largest: [String: Figure] = [:]
            if let l = p.largestLoss { largest["loss"] = Figure(l, rtol: c.rtol) }
            if let g = p.largestGradNorm { largest["grad_norm"] = Figure(g, rtol: c.rtol) }
            self.largest = largest
            differences = p.points.map { PointJSON($0, rtol: c.rtol) }
        }
    }

    struct Figure: Encodable {
        let absolute, relative: Double
        let within: Bool
        init(_ d: Difference, rtol: Double) { absolute = d.absolute; relative = d.relative; within = d.within(rtol) }
    }

    struct PointJSON: Encodable {
        let step, run_step: Int
        let tokens: Int?
        let loss, grad_norm: Figure
        init(_ p: PointDifference, rtol: Double) {
            step = p.reference.step; run_step = p.other.step; tokens = p.reference.tokens
            loss = Figure(p.loss, rtol: rtol); grad_norm = Figure(p.gradNorm, rtol: rtol)
        }
    }

    struct VerdictJSON: Encodable {
        let kind, text: String
        let within_rtol: Bool
        /// identical: the last step compared.
        let through_step: Int?
        let divergence: DivergenceJSON?
        let ratio: RatioJSON?

        init(_ v: Verdict, _ c: Comparison, runs: [DegreeMatch.Run: Int]) {
            kind = v.kind
            text = VerdictText.line(v, rtol: c.rtol, alignment: c.alignment)
            within_rtol = v.isWithinTolerance
            switch v {
            case .identical(let step): through_step = step; divergence = nil; ratio = nil
            case .divergesFromStart(let d), .divergesLater(let d): through_step = nil; divergence = DivergenceJSON(d); ratio = nil
            case .gradNormRatio(let r, let loss): through_step = nil; divergence = loss.map(DivergenceJSON.init); ratio = RatioJSON(r, runs: runs)
            case .nothingInCommon: through_step = nil; divergence = nil; ratio = nil
            }
        }
    }

    struct DivergenceJSON: Encodable {
        let step, run_step: Int
        let tokens: Int?
        let series: [String]
        let relative: Double
        let last_agreeing_step: Int?
        init(_ d: Divergence) {
            step = d.step; run_step = d.otherStep; tokens = d.tokens; series = d.series.map(\.rawValue)
            relative = d.relative; last_agreeing_step = d.lastAgreeingStep
        }
    }

    struct RatioJSON: Encodable {
        let k, spread: Double
        let points: Int
        let degrees: [DegreeJSON]
        init(_ r: GradNormRatio, runs: [DegreeMatch.Run: Int]) {
            k = r.k; spread = r.spread; points = r.points; degrees = r.degrees.map { DegreeJSON($0, run: runs[$0.run] ?? 0) }
        }
    }

    struct DegreeJSON: Encodable {
        /// The run (its index) whose mesh has the degree.
        let run: Int
        let degree: String
        let mesh: MeshLayout
        let value: Int
        let root, inverse: Bool
        init(_ d: DegreeMatch, run: Int) { self.run = run; degree = d.degree.rawValue; mesh = d.mesh; value = d.value; root = d.root; inverse = d.inverse }
    }
}
