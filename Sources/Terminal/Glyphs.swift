/// The characters widgets draw with: Unicode box drawing, blocks and braille, or plain ASCII
/// (`--ascii`) for terminals and fonts without them.
public struct Glyphs: Equatable, Sendable {
    public var horizontal, vertical, topLeft, topRight, bottomLeft, bottomRight: Unicode.Scalar
    /// A vertical tick on a horizontal line (a mark on a chart's axis).
    public var tick: Unicode.Scalar
    /// Eighths of a cell, left to right: index 0 is empty, 8 is a full block.
    public var horizontalEighths: [Unicode.Scalar]
    /// Eighths of a cell, bottom to top.
    public var verticalEighths: [Unicode.Scalar]
    /// Whether 2x4-dot braille cells are available for charts.
    public var braille: Bool
    /// Heat-map shades, light to dense.
    public var shades: [Unicode.Scalar]
    public var ellipsis: Unicode.Scalar

    public static let unicode = Glyphs(
        horizontal: "─", vertical: "│", topLeft: "╭", topRight: "╮", bottomLeft: "╰", bottomRight: "╯", tick: "┼",
        horizontalEighths: [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"],
        verticalEighths: [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
        braille: true, shades: ["░", "▒", "▓", "█"], ellipsis: "…")

    public static let ascii = Glyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+", tick: "+",
        horizontalEighths: [" ", " ", " ", " ", "#", "#", "#", "#", "#"],
        verticalEighths: [" ", " ", "_", "_", "o", "o", "#", "#", "#"],
        braille: false, shades: [".", ":", "*", "#"], ellipsis: "~")

    /// The braille character with the given dots set (bit i = dot i+1 in Unicode's numbering).
    public static func braille(_ dots: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(0x2800 + UInt32(dots))!
    }
}
