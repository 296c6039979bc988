import Compare
import RunSources

/// `meshtop compare --no-tui`: the runs, the loss and grad norm of each at every point with its
/// relative difference from the first run, the verdicts, and the result (docs/compare.md).
enum CompareTable {
    static func lines(_ comparison: Comparison, _ loaded: [LoadedRun]) -> [String] {
        let by = comparison.alignment == .step ? "by step" : "by tokens seen"
        var out = ["meshtop compare: \(comparison.runs.count) runs \(by), rtol \(Figures.short(comparison.rtol))"
                   + " (within: |a - b| <= rtol * max(|a|, |b|))", ""]
        var runs = [["run", "label", "source", "path", "steps", "points", "tokens", "last loss", "last grad norm"]]
        for (i, curve) in comparison.runs.enumerated() {
            let first = curve.firstStep.map(String.init) ?? "-", last = curve.lastStep.map(String.init) ?? "-"
            runs.append(["\(i + 1)", curve.label, loaded[i].source.rawValue, loaded[i].path, "\(first)-\(last)", "\(curve.points.count)",
                         curve.points.last?.tokens.map(Figures.grouped) ?? "-", curve.points.last.map { Figures.value($0.loss) } ?? "-",
                         curve.points.last.map { Figures.value($0.gradNorm) } ?? "-"])
        }
        out += aligned(runs) + [""]
        out += values(comparison, "loss", \.loss, \.loss) + [""]
        out += values(comparison, "grad norm", \.gradNorm, \.gradNorm) + [""]
        return out + verdicts(comparison)
    }

    /// The verdict of each run against the first, and the result.
    static func verdicts(_ comparison: Comparison) -> [String] {
        let reference = comparison.runs.first?.label ?? ""
        var out = ["verdicts against run 1 (\(reference)):"]
        for pair in comparison.pairs {
            let text = VerdictText.line(pair.verdict, rtol: comparison.rtol, alignment: comparison.alignment)
            var largest = ["\(pair.points.count) points"]
            if let loss = pair.largestLoss { largest.append("loss max \(Figures.relative(loss.relative)) relative") }
            if let norm = pair.largestGradNorm { largest.append("grad norm max \(Figures.relative(norm.relative)) relative") }
            out.append("  \(pair.other + 1) \(comparison.runs[pair.other].label): \(text) (\(largest.joined(separator: ", ")))")
        }
        let differing = comparison.pairs.filter { !$0.verdict.isWithinTolerance }.count
        out.append(differing == 0 ? "result: every run within \(Figures.short(comparison.rtol)) of the first"
                   : "result: \(differing) of \(comparison.pairs.count) runs not within \(Figures.short(comparison.rtol)) of the first")
        return out
    }

    /// One row per position any run has: each run's value, and after the first run's each
    /// other's relative difference from it (blank where either has no point there).
    static func values(_ comparison: Comparison, _ name: String, _ value: KeyPath<CurvePoint, Double>,
                       _ difference: KeyPath<PointDifference, Difference>) -> [String] {
        let alignment = comparison.alignment
        var header = [alignment == .step ? "step" : "tokens", "\(name) 1"]
        for pair in comparison.pairs { header += ["\(name) \(pair.other + 1)", "rel \(pair.other + 1)"] }
        let byRun = comparison.runs.map { curve in
            Dictionary(curve.points.compactMap { p in alignment.position(p).map { ($0, p) } }, uniquingKeysWith: { first, _ in first })
        }
        let byPair = comparison.pairs.map { pair in
            Dictionary(pair.points.compactMap { p in alignment.position(p.reference).map { ($0, p) } }, uniquingKeysWith: { first, _ in first })
        }
        let positions = Set(byRun.flatMap(\.keys)).sorted()
        var rows = [header]
        for position in positions {
            var row = [alignment == .step ? "\(position)" : Figures.grouped(position)]
            row.append(byRun[0][position].map { Figures.value($0[keyPath: value]) } ?? "")
            for (index, pair) in comparison.pairs.enumerated() {
                row.append(byRun[pair.other][position].map { Figures.value($0[keyPath: value]) } ?? "")
                row.append(byPair[index][position].map { Figures.relative($0[keyPath: difference].relative) } ?? "")
            }
            rows.append(row)
        }
        return aligned(rows)
    }

    /// Columns padded to their widest cell, two spaces apart (trailing blanks cut).
    static func aligned(_ rows: [[String]]) -> [String] {
        let widths = (0 ..< (rows.map(\.count).max() ?? 0)).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            var line = ""
            for (column, cell) in row.enumerated() {
                line += cell + String(repeating: " ", count: column == row.count - 1 ? 0 : widths[column] - cell.count + 2)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }
}
