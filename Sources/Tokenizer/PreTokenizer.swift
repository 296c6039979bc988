/// The two splitting regexes, written as hand scanners over the UTF-8 bytes of the text.
///
/// Character classes follow Oniguruma (what `tokenizers` uses): `\p{L}` is General_Category L*,
/// `\p{N}` is N*, `\s` is the Unicode White_Space property. Each scanner returns where the match
/// starting at `i` ends, trying the regex's alternatives in order exactly as the regex engine does.
enum CharClass {
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let space: UInt8 = 4
    static let other: UInt8 = 8

    static func of(_ scalar: Unicode.Scalar) -> UInt8 {
        let p = scalar.properties
        if p.isWhitespace { return space }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return letter
        case .decimalNumber, .letterNumber, .otherNumber: return number
        default: return other
        }
    }

    /// Classes of the whole Basic Multilingual Plane, computed once (surrogates are `other`).
    static let bmp: [UInt8] = {
        var table = [UInt8](repeating: other, count: 0x10000)
        for v in 0..<0x10000 {
            if let s = Unicode.Scalar(UInt32(v)) { table[v] = of(s) }
        }
        return table
    }()
}

/// The regex a pre-tokenizer splits with.
public enum SplitPattern: String, Sendable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3

    static let gpt2Regex = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    init?(regex: String) {
        switch regex {
        case Self.gpt2Regex: self = .gpt2
        case Self.llama3Regex: self = .llama3
        default: return nil
        }
    }
}

struct Scanner {
    let p: UnsafePointer<UInt8>
    let end: Int
    let bmp: UnsafePointer<UInt8>

    /// The class and UTF-8 length of the character at `i` (`i < end`). Invalid UTF-8 counts as
    /// one byte of class `other`.
    @inline(__always)
    func classAt(_ i: Int) -> (UInt8, Int) {
        let b0 = p[i]
        if b0 < 0x80 { return (bmp[Int(b0)], 1) }
        return nonASCII(i)
    }

    @inline(never)
    func nonASCII(_ i: Int) -> (UInt8, Int) {
        let b0 = UInt32(p[i])
        var value: UInt32
        var length: Int
        if b0 & 0xE0 == 0xC0 { value = b0 & 0x1F; length = 2 }
        else if b0 & 0xF0 == 0xE0 { value = b0 & 0x0F; length = 3 }
        else if b0 & 0xF8 == 0xF0 { value = b0 & 0x07; length = 4 }
        else { return (CharClass.other, 1) }
        if i + length > end { return (CharClass.other, 1) }
        for k in 1..<length {
            let b = UInt32(p[i + k])
            if b & 0xC0 != 0x80 { return (CharClass.other, 1) }
            value = value << 6 | (b & 0x3F)
        }
        if value < 0x10000 { return (bmp[Int(value)], length) }
        guard let s = Unicode.Scalar(value) else { return (CharClass.other, 1) }
        return (CharClass.of(s), length)
    }

    @inline(__always)
    func skip(_ cls: UInt8, from start: Int) -> Int {
        var j = start
        while j < end {
            let (c, l) = classAt(j)
            if c != cls { break }
            j += l
        }
        return j
    }

    /// The end of a whitespace run starting at `i` as `\s+(?!\S)|\s+` matches it.
    @inline(__always)
    func whitespace(from i: Int) -> Int {
        var k = i, last = i
        while k < end {
            let (c, l) = classAt(k)
            if c != CharClass.space { break }
            last = k
            k += l
        }
        if k == end { return end }
        return last > i ? last : k
    }

    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    @inline(__always)
    func gpt2(_ i: Int) -> Int {
        let b = p[i]
        if b == 0x27, i + 1 < end {  // '
            let c = p[i + 1]
            if c == 0x73 || c == 0x74 || c == 0x6D || c == 0x64 { return i + 2 }  // s t m d
            if i + 2 < end {
                let c2 = p[i + 2]
                if (c == 0x72 && c2 == 0x65) || (c == 0x76 && c2 == 0x65) || (c == 0x6C && c2 == 0x6C) { return i + 3 }
            }
        }
        let j = b == 0x20 ? i + 1 : i
        if j < end {
            let (c, l) = classAt(j)
            if c != CharClass.space { return skip(c, from: j + l) }
        }
        return whitespace(from: i)
    }

    @inline(__always)
    private func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
    /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    @inline(__always)
    func llama3(_ i: Int) -> Int {
        let b = p[i]
        if b == 0x27, i + 1 < end {
            let c = lower(p[i + 1])
            if c == 0x73 || c == 0x74 || c == 0x6D || c == 0x64 { return i + 2 }
            if p[i + 1] == 0xC5, i + 2 < end, p[i + 2] == 0xBF { return i + 3 }  // U+017F folds to s
            if i + 2 < end {
                let c2 = lower(p[i + 2])
                if (c == 0x72 && c2 == 0x65) || (c == 0x76 && c2 == 0x65) || (c == 0x6C && c2 == 0x6C) { return i + 3 }
            }
        }
        let (c0, l0) = classAt(i)
        if c0 == CharClass.letter { return skip(CharClass.letter, from: i + l0) }
        if c0 != CharClass.number && b != 0x0D && b != 0x0A && i + l0 < end {
            let (c1, l1) = classAt(i + l0)
            if c1 == CharClass.letter { return skip(CharClass.letter, from: i + l0 + l1) }
        }
        if c0 == CharClass.number {
            var j = i + l0, n = 1
            while n < 3 && j < end {
                let (c, l) = classAt(j)
                if c != CharClass.number { break }
                j += l; n += 1
            }
            return j
        }
        let j = b == 0x20 ? i + 1 : i
        if j < end {
            let (c, l) = classAt(j)
            if c == CharClass.other {
                var k = skip(CharClass.other, from: j + l)
                while k < end && (p[k] == 0x0D || p[k] == 0x0A) { k += 1 }
                return k
            }
        }
        // c0 is whitespace here.
        var k = i, afterNewline = -1
        while k < end {
            let (c, l) = classAt(k)
            if c != CharClass.space { break }
            if p[k] == 0x0D || p[k] == 0x0A { afterNewline = k + 1 }
            k += l
        }
        if afterNewline > 0 { return afterNewline }
        return whitespace(from: i)
    }
}
