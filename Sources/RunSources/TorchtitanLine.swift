import Foundation

/// One console line of a torchtitan run, unwrapped: torchrun's prefix, the ANSI colours,
/// torchtitan's logger header, and what is left, the message.
///
/// - torchrun's prefix `[<role><local rank>]:` comes from its log tailer
///   (torch/distributed/elastic/multiprocessing/tail_log.py: `header=f"[{self._name}{local_rank}]:"`);
///   torchtitan's run_train.sh passes `--role rank --tee 3`, hence `[rank0]:`. A rank's own file
///   (`--log-dir`) has no prefix.
/// - torchtitan's header comes from torchtitan/tools/logging.py (the same from September 2025
///   through main in August 2026): `"[titan] %(asctime)s - %(name)s - %(levelname)s - %(message)s"`,
///   asctime being Python logging's `2025-09-15 17:38:26,676` in the local time of the machine.
/// - The colours are torchtitan/tools/utils.py's `Color` (`\033[31m` ... `\033[38;2;54;234;195m`,
///   reset `\033[39m`), which the step and model lines use unless `disable_color_printing`.
public struct TorchtitanLine: Equatable, Sendable {
    public enum Level: String, Sendable, CaseIterable {
        case debug = "DEBUG", info = "INFO", warning = "WARNING", error = "ERROR", critical = "CRITICAL"
    }

    /// The rank torchrun's prefix names; nil when the line has none.
    public var rank: Int?
    /// Unix seconds of torchtitan's header (read in the local time zone); nil without a header.
    public var time: Double?
    public var level: Level?
    /// The message after the header, or the whole line (without prefix and colours) if none.
    public var message: String
    /// The line after torchrun's prefix, colours and all (what a cut line is joined on).
    public var body: String

    /// Whether torchtitan's logger wrote the line.
    public var isTitan: Bool { time != nil }

    public init(rank: Int? = nil, time: Double? = nil, level: Level? = nil, message: String, body: String? = nil) {
        self.rank = rank; self.time = time; self.level = level; self.message = message; self.body = body ?? message
    }

    public init(_ raw: String, timeZone: TimeZone = .current) {
        var rest = raw[...]
        if rest.hasSuffix("\r") { rest.removeLast() }
        rank = Self.prefixRank(&rest)
        body = String(rest)
        let text = Self.withoutColours(body)
        var header = TorchtitanScanner(text)
        if header.expect("[titan] "), let time = Self.asctime(&header, timeZone: timeZone), header.expect(" - "),
           header.until(" - ") != nil, let level = Level.allCases.first(where: { header.expect($0.rawValue + " - ") }) {
            self.time = time
            self.level = level
            message = String(header.rest)
        } else {
            message = text
        }
    }

    /// `[rank3]:` (any role name of letters and underscores, then the number), removed from `text`.
    static func prefixRank(_ text: inout Substring) -> Int? {
        guard text.first == "[", let close = text.firstIndex(of: "]"), text[text.index(after: close)...].first == ":" else { return nil }
        let inside = text[text.index(after: text.startIndex) ..< close]
        let digits = inside.reversed().prefix { $0.isASCII && $0.isNumber }
        let role = inside.dropLast(digits.count)
        guard !digits.isEmpty, !role.isEmpty, role.allSatisfy({ $0 == "_" || ($0.isASCII && $0.isLetter) }),
              let rank = Int(String(digits.reversed())) else { return nil }
        text = text[text.index(close, offsetBy: 2)...]
        return rank
    }

    /// Python logging's asctime, `YYYY-MM-DD HH:MM:SS,mmm`.
    static func asctime(_ scanner: inout TorchtitanScanner, timeZone: TimeZone) -> Double? {
        let saved = scanner
        var fields: [Int] = []
        for separator in ["-", "-", " ", ":", ":", ",", ""] {
            guard let field = digits(&scanner), separator.isEmpty || scanner.expect(separator) else {
                scanner = saved
                return nil
            }
            fields.append(field)
        }
        let (year, month, day, hour, minute, second) = (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5])
        guard (1 ... 12).contains(month), (1 ... 31).contains(day), hour < 24, minute < 60, second < 62 else {
            scanner = saved
            return nil
        }
        // Days from 1970-01-01 of a proleptic Gregorian date (civil-from-days inverted).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let wall = Double(days * 86_400 + hour * 3_600 + minute * 60 + second)
        let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: wall))
        return wall - Double(offset) + Double(fields[6]) / 1000
    }

    private static func digits(_ scanner: inout TorchtitanScanner) -> Int? {
        let digits = scanner.rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let value = Int(digits) else { return nil }
        scanner.advance(by: digits.count)
        return value
    }

    /// The text without ANSI escape sequences (CSI: ESC [ parameters final byte; and lone ESCs),
    /// cut out of the UTF-8 bytes (escape sequences are ASCII).
    static func withoutColours(_ text: String) -> String {
        var utf8 = Array(text.utf8)
        guard let first = utf8.firstIndex(of: 0x1B) else { return text }
        var kept = first, i = first
        while i < utf8.count {
            guard utf8[i] == 0x1B else {
                utf8[kept] = utf8[i]
                kept += 1
                i += 1
                continue
            }
            i += 1
            guard i < utf8.count, utf8[i] == UInt8(ascii: "[") else { continue }
            i += 1
            while i < utf8.count, !(0x40 ... 0x7E).contains(utf8[i]) { i += 1 }
            i += 1
        }
        return String(decoding: utf8[..<kept], as: UTF8.self)
    }
}
