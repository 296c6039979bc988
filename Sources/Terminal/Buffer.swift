/// An off-screen grid of cells: widgets draw here, a backend writes out what changed, and tests
/// read it back as text. Writes outside the buffer (or outside the clip) are dropped, so
/// widgets never have to check bounds.
public struct Buffer: Equatable, Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = [Cell](repeating: fill, count: self.width * self.height)
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// Sets one cell if it is on the buffer.
    @inline(__always)
    public mutating func set(_ x: Int, _ y: Int, _ scalar: Unicode.Scalar, _ style: Style) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        cells[y * width + x] = Cell(scalar, style: style)
    }

    /// Changes the style of one cell, keeping its character.
    public mutating func restyle(_ x: Int, _ y: Int, _ style: Style) {
        guard contains(x: x, y: y) else { return }
        cells[y * width + x].style = style
    }

    /// Writes `text` from (x, y) rightwards, at most `maxWidth` cells (and never past the right
    /// edge); returns the cells written. Characters wider than one cell are replaced by `?`
    /// so the grid stays aligned.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, maxWidth: Int = .max) -> Int {
        guard y >= 0, y < height else { return 0 }
        var column = x
        let limit = min(width, maxWidth == .max ? width : x + max(0, maxWidth))
        for scalar in text.unicodeScalars {
            if column >= limit { break }
            // Combining marks start at U+0300; below that no lookup is needed (most text).
            if scalar.value >= 0x300 && scalar.properties.generalCategory == .nonspacingMark { continue }
            let printable: Unicode.Scalar = Self.isSingleWidth(scalar) ? scalar : "?"
            if column >= 0 { cells[y * width + column] = Cell(printable, style: style) }
            column += 1
        }
        return max(0, column - x)
    }

    /// Fills `rect` (clipped) with one cell.
    public mutating func fill(_ rect: Rect, with cell: Cell = .blank) {
        let clipped = rect.intersection(area)
        guard !clipped.isEmpty else { return }
        for row in clipped.y ..< clipped.maxY {
            let start = row * width
            for column in clipped.x ..< clipped.maxX { cells[start + column] = cell }
        }
    }

    /// Re-styles every cell of `rect`, keeping the characters (selection highlights).
    public mutating func restyle(_ rect: Rect, _ transform: (Style) -> Style) {
        let clipped = rect.intersection(area)
        guard !clipped.isEmpty else { return }
        for row in clipped.y ..< clipped.maxY {
            for column in clipped.x ..< clipped.maxX {
                cells[row * width + column].style = transform(cells[row * width + column].style)
            }
        }
    }

    /// A new size: the content is cleared (a resize redraws everything).
    public mutating func resize(width: Int, height: Int) {
        self = Buffer(width: width, height: height)
    }

    /// The cells that differ from `previous` (all of them when the size differs), as
    /// (x, y, cell) in row order: what a backend writes.
    public func changes(since previous: Buffer?) -> [(x: Int, y: Int, cell: Cell)] {
        var out: [(x: Int, y: Int, cell: Cell)] = []
        let same = previous.map { $0.width == width && $0.height == height } ?? false
        for index in cells.indices where !same || previous!.cells[index] != cells[index] {
            out.append((index % width, index / width, cells[index]))
        }
        return out
    }

    /// The characters, one string per row, trailing blanks kept (snapshot tests).
    public var lines: [String] {
        (0 ..< height).map { row in
            var line = String.UnicodeScalarView()
            for column in 0 ..< width { line.append(cells[row * width + column].scalar) }
            return String(line)
        }
    }

    /// The characters as one text, rows joined by newlines, trailing blanks of each row removed.
    public var text: String {
        lines.map { line in
            var trimmed = Substring(line)
            while trimmed.last == " " { trimmed = trimmed.dropLast() }
            return String(trimmed)
        }.joined(separator: "\n")
    }

    /// Everything meshtop draws is one column wide; this rejects what a terminal would draw
    /// double wide (CJK, emoji) or not at all (controls).
    static func isSingleWidth(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return false }
        if v < 0x1100 { return true }
        if (0x1100 ... 0x115F).contains(v) || (0x2E80 ... 0xA4CF).contains(v) || (0xAC00 ... 0xD7A3).contains(v)
            || (0xF900 ... 0xFAFF).contains(v) || (0xFE30 ... 0xFE4F).contains(v) || (0xFF00 ... 0xFF60).contains(v)
            || (0xFFE0 ... 0xFFE6).contains(v) || v >= 0x1F300 {
            return false
        }
        return true
    }
}
