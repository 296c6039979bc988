import Foundation

/// Short human forms of the figures panels show (a few characters each).
enum Format {
    /// `value` rounded to a whole number of cells; telemetry can carry NaN and infinities (a
    /// diverged run), which become 0, and absurd sizes are clamped, so drawing never traps.
    static func cells(_ value: Double) -> Int {
        guard value.isFinite else { return 0 }
        return Int(min(1e9, max(-1e9, value)).rounded())
    }

    /// Bytes in binary units: "512B", "270M", "1.08G".
    static func bytes(_ value: Int) -> String {
        let units = ["B", "K", "M", "G", "T"]
        var amount = Double(max(0, value)), unit = 0
        while amount >= 1000 && unit < units.count - 1 { amount /= 1024; unit += 1 }
        return number(amount, significant: unit == 0 ? 4 : 3) + units[unit]
    }

    /// A duration of a step: "850us", "123ms", "1.23s", "72.0s".
    static func seconds(_ value: Double) -> String {
        guard value.isFinite, value >= 0, value < 1e12 else { return "-" }
        if value < 0.001 { return "\(Int((value * 1e6).rounded()))us" }
        if value < 1 { return "\(Int((value * 1e3).rounded()))ms" }
        return number(value, significant: 3) + "s"
    }

    /// Wall time: "0:07", "12:03", "1:02:03".
    static func clock(_ value: Double) -> String {
        guard value.isFinite, value >= 0, value < 1e12 else { return "-" }
        let total = Int(value.rounded(.down))
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
    }

    /// A count with a metric suffix: "745", "2.93k", "1.20M".
    static func count(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let magnitude = abs(value)
        if magnitude >= 1e9 { return number(value / 1e9, significant: 3) + "G" }
        if magnitude >= 1e6 { return number(value / 1e6, significant: 3) + "M" }
        if magnitude >= 1e4 { return number(value / 1e3, significant: 3) + "k" }
        return magnitude >= 100 ? "\(Int(value.rounded()))" : number(value, significant: 3)
    }

    /// FLOP/s in the unit its size reads best in: "154 GF/s" for a CPU core, "989 TF/s" for an
    /// H100 (a torchtitan log's peak), not "989k GF/s".
    static func flops(_ value: Double) -> String {
        value >= 1e13 ? "\(count(value / 1e12)) TF/s" : "\(count(value / 1e9)) GF/s"
    }

    /// `value` with about `significant` digits, without an exponent for ordinary magnitudes.
    static func number(_ value: Double, significant: Int = 3) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        let magnitude = abs(value)
        if magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e6) {
            return String(format: "%.\(max(0, significant - 1))e", value)
        }
        if magnitude == 0 { return "0" }
        let exponent = Int(floor(log10(magnitude)))
        let decimals = max(0, significant - 1 - exponent)
        return String(format: "%.\(decimals)f", value)
    }

    /// `text` cut to `width` characters, the last replaced by `ellipsis` when cut.
    static func fit(_ text: String, _ width: Int, ellipsis: Unicode.Scalar) -> String {
        guard width > 0 else { return "" }
        let scalars = Array(text.unicodeScalars)
        guard scalars.count > width else { return text }
        var out = String.UnicodeScalarView(scalars[0 ..< width - 1])
        out.append(ellipsis)
        return String(out)
    }

    /// `text` padded with spaces (or cut) to exactly `width` characters.
    static func pad(_ text: String, _ width: Int, ellipsis: Unicode.Scalar) -> String {
        let cut = fit(text, width, ellipsis: ellipsis)
        let count = cut.unicodeScalars.count
        return count < width ? cut + String(repeating: " ", count: width - count) : cut
    }
}
