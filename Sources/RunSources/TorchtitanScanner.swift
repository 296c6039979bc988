/// A cursor over one log message for reading torchtitan's fixed formats without regular
/// expressions: literals are expected, numbers read as Python printed them (`{:,}` groups,
/// padding spaces). Every read either advances past what it read or returns nil and leaves the
/// cursor where it was.
struct TorchtitanScanner {
    private let text: Substring
    private(set) var position: Substring.Index

    init(_ text: Substring) {
        self.text = text
        position = text.startIndex
    }

    init(_ text: String) { self.init(text[...]) }

    var rest: Substring { text[position...] }
    var atEnd: Bool { position == text.endIndex }

    /// Skips `literal` if the text continues with it.
    mutating func expect(_ literal: String) -> Bool {
        guard rest.hasPrefix(literal) else { return false }
        position = text.index(position, offsetBy: literal.count)
        return true
    }

    mutating func skipSpaces() {
        while position < text.endIndex, text[position] == " " { position = text.index(after: position) }
    }

    /// The text up to (not including) the next `literal`, skipping both; nil if it never comes.
    mutating func until(_ literal: String) -> Substring? {
        guard let first = literal.first else { return text[position ..< position] }
        var start = position
        while let candidate = text[start...].firstIndex(of: first) {
            if text[candidate...].hasPrefix(literal) {
                let taken = text[position ..< candidate]
                position = text.index(candidate, offsetBy: literal.count)
                return taken
            }
            start = text.index(after: candidate)
        }
        return nil
    }

    /// A run of characters that may make up a number (digits, sign, point, exponent, `,` between
    /// digits, the letters of nan and inf), after padding spaces.
    private mutating func numberText() -> Substring? {
        skipSpaces()
        let start = position
        while position < text.endIndex, Self.numberCharacters.contains(text[position]) {
            let next = text.index(after: position), c = text[position]
            // A comma groups digits only between digits: `8, global` ends the number before it;
            // a sign leads the number or its exponent only: `2-D` is 2.
            if c == ",", next == text.endIndex || !("0" ... "9").contains(text[next]) { break }
            if c == "-" || c == "+", position != start, !"eE".contains(text[text.index(before: position)]) { break }
            position = next
        }
        return start == position ? nil : text[start ..< position]
    }

    private static let numberCharacters = Set("0123456789+-.,eEnaifNAIF")

    /// The digits without `{:,}`'s separators.
    private static func ungrouped(_ digits: Substring) -> Substring {
        digits.contains(",") ? Substring(digits.filter { $0 != "," }) : digits
    }

    /// Moves past the next `count` characters (which the caller has looked at).
    mutating func advance(by count: Int) {
        position = text.index(position, offsetBy: count)
    }

    /// An integer, with `{:,}`'s thousands separators allowed.
    mutating func int() -> Int? { number { Int($0) } }

    /// A float as `{:f}`, `{:,.2f}` or `{:.3e}` print it (also nan and inf).
    mutating func double() -> Double? { number { Double($0) } }

    /// The number at the position as `parse` reads it (separators removed); the position stays
    /// where it was when there is none.
    private mutating func number<T>(_ parse: (Substring) -> T?) -> T? {
        let saved = position
        guard let digits = numberText(), let value = parse(Self.ungrouped(digits)) else {
            position = saved
            return nil
        }
        return value
    }
}
