import Foundation

/// Python's format specs as torchtitan's log lines use them (`{x:8.5f}`, `{n:,}`, `{x:,.2f}`,
/// `{x:.3e}`): what meshtop's own log lines are written with, and what tests write torchtitan's
/// lines with.
public enum PythonFormat {
    /// `{x:W.Pf}`
    public static func fixed(_ value: Double, _ precision: Int, width: Int = 0) -> String {
        pad(String(format: "%.\(precision)f", value), width)
    }

    /// `{n:,}`
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return value < 0 ? "-" + out : out
    }

    /// `{x:,.Pf}`
    public static func groupedFixed(_ value: Double, _ precision: Int) -> String {
        let text = String(format: "%.\(precision)f", value.magnitude)
        let parts = text.split(separator: ".", maxSplits: 1)
        let whole = grouped(Int(parts[0]) ?? 0)
        let sign = value < 0 && text.contains(where: { $0 != "0" && $0 != "." }) ? "-" : ""
        return sign + whole + (parts.count > 1 ? "." + parts[1] : "")
    }

    /// `{x:.3e}`: C's `%.3e` already writes at least two exponent digits, as Python does.
    public static func scientific(_ value: Double) -> String { String(format: "%.3e", value) }

    public static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
