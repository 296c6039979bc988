/// GPT-2's byte-to-unicode table, as Hugging Face's ByteLevel pre-tokenizer and decoder use it:
/// the printable bytes 33...126, 161...172 and 174...255 stand for themselves; every other byte b
/// maps, in increasing order of b, to the scalars 256, 257, ...
public enum ByteLevel {
    /// `scalars[b]` is the unicode scalar byte `b` is written as inside a vocabulary token.
    public static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The inverse of `scalars`: the byte a scalar of a vocabulary token stands for.
    public static let bytes: [UInt32: UInt8] = {
        var map = [UInt32: UInt8]()
        for (b, s) in scalars.enumerated() { map[s.value] = UInt8(b) }
        return map
    }()

    /// The vocabulary spelling of raw bytes ("Ġthe" for " the").
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(scalars[Int(b)]) }
        return String(s)
    }

    /// The raw bytes a vocabulary token spells, or nil when it holds a scalar outside the table.
    public static func decode(_ token: String) -> [UInt8]? {
        var out = [UInt8]()
        for s in token.unicodeScalars {
            guard let b = bytes[s.value] else { return nil }
            out.append(b)
        }
        return out
    }
}
