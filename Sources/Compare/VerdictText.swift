import Foundation

/// The verdicts in words, as the table, the dashboard and `run --compare` say them:
/// `identical within 1e-5 to step 10`, `diverges from step 1: loss 4.2e-2 relative
/// (initialisation or data differ)`, `diverges at step 7: loss 3.1e-3 relative (gradient
/// reduction or optimizer); identical within 1e-5 to step 6`, `grad norm ratio a near-constant
/// 2.000 (dp_replicate 2 of [2, 2] hsdp); loss identical within 1e-5 to step 10`. Live (a run
/// still going) the divergence is in the past tense: `diverged at step 7: loss 3.1e-3 relative`.
public enum VerdictText {
    public static func line(_ verdict: Verdict, rtol: Double, alignment: Alignment = .step, live: Bool = false) -> String {
        switch verdict {
        case .identical(let step):
            return "identical within \(Figures.short(rtol)) to step \(step)"
        case .nothingInCommon:
            return (alignment == .step ? "no step in common" : "no token count in common") + (live ? " yet" : "")
        case .divergesFromStart(let d):
            return divergence(d, rtol: rtol, alignment: alignment, live: live, reasons: true)
        case .divergesLater(let d):
            return divergence(d, rtol: rtol, alignment: alignment, live: live, reasons: true)
        case .gradNormRatio(let ratio, let loss):
            let lossPart = loss.map { "loss " + divergence($0, rtol: rtol, alignment: alignment, live: live, reasons: false, named: false) }
                ?? "loss identical within \(Figures.short(rtol))"
            return "grad norm ratio a near-constant \(Figures.ratio(ratio.k)) (\(degrees(ratio.degrees))); \(lossPart)"
        }
    }

    /// `diverges at step 7: loss 3.1e-3 relative (...)`.
    static func divergence(_ d: Divergence, rtol: Double, alignment: Alignment, live: Bool, reasons: Bool,
                           named: Bool = true) -> String {
        let verb = live ? "diverged" : "diverges"
        let tokens = alignment == .tokens ? d.tokens.map { " (\(Figures.grouped($0)) tokens)" } ?? "" : ""
        let what = d.series.first == .gradNorm ? "grad norm" : "loss"
        let size = (named ? "\(what) " : "") + "\(Figures.relative(d.relative)) relative"
        guard let agreed = d.lastAgreeingStep else {
            let start = d.step == 1 ? "from step 1" : "from step \(d.step), the first in common"
            return "\(verb) \(start)\(tokens): \(size)" + (reasons && d.step == 1 ? " (initialisation or data differ)" : "")
        }
        return "\(verb) at step \(d.step)\(tokens): \(size)" + (reasons ? " (gradient reduction or optimizer)" : "")
            + "; identical within \(Figures.short(rtol)) to step \(agreed)"
    }

    /// `= dp_replicate 2 and dp_shard 2 of [2, 2] hsdp, 1/(dp 4) of [4, 1] replicate`, or that
    /// none matches: the degrees grouped by mesh.
    static func degrees(_ matches: [DegreeMatch]) -> String {
        var meshes: [String] = [], names: [String: [String]] = [:]
        for match in matches {
            var degree = "\(match.degree.rawValue) \(match.value)"
            if match.root { degree = "sqrt(\(degree))" }
            if match.inverse { degree = "1/\(match.root ? degree : "(\(degree))")" }
            let mesh = RunLabels.text(match.mesh)
            if names[mesh] == nil { meshes.append(mesh) }
            if !(names[mesh] ?? []).contains(degree) { names[mesh, default: []].append(degree) }
        }
        let texts = meshes.map { "\(names[$0]!.joined(separator: " and ")) of \($0)" }
        return texts.isEmpty ? "no mesh degree of either run" : "= " + texts.joined(separator: ", ")
    }
}

/// Short forms of the figures compare prints.
public enum Figures {
    /// `1e-5`, `0.001`, `2.5e-7`: %g without the exponent's padding.
    public static func short(_ value: Double) -> String {
        exponentTrimmed(String(format: "%g", value))
    }

    /// A relative difference: `3.1e-3`, `0`, `inf`.
    public static func relative(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : "inf" }
        return value == 0 ? "0" : exponentTrimmed(String(format: "%.1e", value))
    }

    /// A ratio: four significant digits, `2.000`, `0.5000`.
    public static func ratio(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return "\(value)" }
        let decimals = max(0, 3 - Int(floor(log10(abs(value)))))
        return String(format: "%.\(decimals)f", value)
    }

    /// A value of the table: `7.60123`, `1.234e-08`, `nan`.
    public static func value(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        let magnitude = abs(value)
        if magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e7) { return exponentTrimmed(String(format: "%.4e", value)) }
        return String(format: "%.6g", value)
    }

    /// `81,920`.
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + String(out.reversed())
    }

    /// `1.0e-05` -> `1.0e-5`, `1e+06` -> `1e6`.
    static func exponentTrimmed(_ text: String) -> String {
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return text }
        var exponent = text[text.index(after: e)...]
        var sign = ""
        if exponent.first == "-" { sign = "-" }
        if exponent.first == "-" || exponent.first == "+" { exponent = exponent.dropFirst() }
        let digits = exponent.drop { $0 == "0" }
        return String(text[...e]) + sign + (digits.isEmpty ? "0" : String(digits))
    }
}
