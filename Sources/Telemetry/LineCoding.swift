import Foundation

/// Why a line was not accepted. Every line that is not an event (or, on the rank side, a
/// command) is counted under exactly one of these.
public enum RejectReason: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing between two newlines.
    case empty
    /// Longer than the maximum line length (the bytes are discarded unread).
    case tooLong(bytes: Int)
    /// Not valid UTF-8 (JSON text must be).
    case invalidUTF8
    /// Not JSON text.
    case notJSON(String)
    /// JSON, but not an object.
    case notAnObject
    /// An object without a string `"event"` (or `"command"`).
    case missingKind
    /// An `"event"` (or `"command"`) this schema does not know.
    case unknownKind(String)
    /// A known kind whose fields are missing or of the wrong type.
    case invalidFields(kind: String, detail: String)

    /// A stable short name, for counting: empty, too_long, invalid_utf8, not_json, not_object,
    /// missing_kind, unknown_kind, invalid_fields.
    public var category: String {
        switch self {
        case .empty: return "empty"
        case .tooLong: return "too_long"
        case .invalidUTF8: return "invalid_utf8"
        case .notJSON: return "not_json"
        case .notAnObject: return "not_object"
        case .missingKind: return "missing_kind"
        case .unknownKind: return "unknown_kind"
        case .invalidFields: return "invalid_fields"
        }
    }

    public var description: String {
        switch self {
        case .empty: return "empty line"
        case .tooLong(let bytes): return "line of \(bytes) bytes exceeds the maximum length"
        case .invalidUTF8: return "not valid UTF-8"
        case .notJSON(let detail): return "not JSON: \(detail)"
        case .notAnObject: return "not a JSON object"
        case .missingKind: return "no \"event\" or \"command\" string"
        case .unknownKind(let kind): return "unknown kind \"\(kind)\""
        case .invalidFields(let kind, let detail): return "bad \(kind) fields: \(detail)"
        }
    }
}

/// Counts of accepted and rejected lines, by reason, with the last few reasons kept for display.
public struct LineCounts: Equatable, Sendable {
    public internal(set) var accepted = 0
    public internal(set) var rejected = 0
    /// Rejected lines per `RejectReason.category`.
    public internal(set) var rejectedByCategory: [String: Int] = [:]
    /// The most recent reasons, oldest first (at most `recentLimit`).
    public internal(set) var recentRejections: [RejectReason] = []
    static let recentLimit = 8

    public init() {}

    mutating func accept() { accepted += 1 }

    mutating func reject(_ reason: RejectReason) {
        rejected += 1
        rejectedByCategory[reason.category, default: 0] += 1
        recentRejections.append(reason)
        if recentRejections.count > Self.recentLimit { recentRejections.removeFirst() }
    }
}

/// The bytes as an array, without an element-by-element copy where they are contiguous
/// (generic code is not specialised across modules).
func contiguous<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
    if let array = bytes as? [UInt8] { return array }
    return bytes.withContiguousStorageIfAvailable { Array($0) } ?? Array(bytes)
}

/// An event line as decoded: the record, and the token if the line carried one (the first hello).
public struct ParsedLine: Equatable, Sendable {
    public var record: TelemetryRecord
    public var token: String?
}

/// Turns events into lines and lines into events. Encoding never sees a non-finite number it
/// cannot write: NaN and the infinities travel as the strings "NaN", "Infinity", "-Infinity".
public enum LineCoding {
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }

    /// `{"event":KIND,"time":T[,"token":TOKEN],FIELDS...}` and a newline. Fields are sorted.
    public static func encode(_ record: TelemetryRecord, token: String? = nil) throws -> [UInt8] {
        try encode(record, token: token, with: makeEncoder())
    }

    static func encode(_ record: TelemetryRecord, token: String?, with encoder: JSONEncoder) throws -> [UInt8] {
        let body: Data
        switch record.event {
        case .hello(let v): body = try encoder.encode(v)
        case .step(let v): body = try encoder.encode(v)
        case .checkpoint(let v): body = try encoder.encode(v)
        case .log(let v): body = try encoder.encode(v)
        case .warning(let v): body = try encoder.encode(v)
        case .error(let v): body = try encoder.encode(v)
        case .done(let v): body = try encoder.encode(v)
        case .recovery(let v): body = try encoder.encode(v)
        }
        var line = [UInt8](try encoder.encode(Header(event: record.event.kind.rawValue, time: record.time, token: token)))
        line.removeLast()  // "}"
        if body.count > 2 {
            line.append(UInt8(ascii: ","))
            line.append(contentsOf: body.dropFirst())  // FIELDS...}
        } else {
            line.append(UInt8(ascii: "}"))
        }
        line.append(0x0A)
        return line
    }

    /// One line (without its newline; a trailing "\r" is ignored) as an event, or why not.
    public static func decode<Bytes: Collection>(_ line: Bytes, maxLength: Int = TelemetrySchema.maxLineLength,
                                                 decoder: JSONDecoder? = nil) -> Result<ParsedLine, RejectReason>
    where Bytes.Element == UInt8 {
        decodeObject(line, maxLength: maxLength, decoder: decoder ?? makeDecoder(), as: EventEnvelope.self)
            .map { ParsedLine(record: TelemetryRecord(time: $0.time, event: $0.event), token: $0.token) }
    }

    /// Shared by events and commands: the checks before JSON, then the kind's type, with every
    /// decoding error mapped to a reason. Never traps on any input.
    static func decodeObject<Bytes: Collection, T: Decodable>(_ line: Bytes, maxLength: Int, decoder: JSONDecoder,
                                                             as type: T.Type) -> Result<T, RejectReason>
    where Bytes.Element == UInt8 {
        var bytes = contiguous(line)
        if bytes.last == 0x0D { bytes.removeLast() }
        if bytes.isEmpty { return .failure(.empty) }
        if bytes.count > maxLength { return .failure(.tooLong(bytes: bytes.count)) }
        guard String(validating: bytes, as: UTF8.self) != nil else { return .failure(.invalidUTF8) }
        if nestingDepth(bytes) > maxNesting { return .failure(.notJSON("nested deeper than \(maxNesting) levels")) }
        do {
            return .success(try decoder.decode(T.self, from: Data(bytes)))
        } catch let reason as RejectReason {
            return .failure(reason)
        } catch let DecodingError.typeMismatch(_, context) where context.codingPath.isEmpty {
            return .failure(.notAnObject)
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            return .failure(.notJSON(context.debugDescription))
        } catch {
            return .failure(.notJSON(String(describing: error)))
        }
    }

    /// The schema nests four levels deep; far deeper input is refused before the JSON parser
    /// (which recurses) sees it.
    static let maxNesting = 32

    /// The deepest nesting of arrays and objects outside strings (stops counting past the limit).
    static func nestingDepth(_ bytes: [UInt8]) -> Int {
        var depth = 0, deepest = 0
        var inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
                if deepest > maxNesting { return deepest }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    /// "loss: expected Double, found a string" from a decoding error.
    static func detail(_ error: Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let names = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? "(top)" : names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            let parent = path(context)
            return (parent == "(top)" ? "" : parent + ".") + key.stringValue + ": missing"
        case DecodingError.typeMismatch(let type, let context):
            return "\(path(context)): expected \(type)"
        case DecodingError.valueNotFound(let type, let context):
            return "\(path(context)): null where \(type) is required"
        case DecodingError.dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        default:
            return String(describing: error)
        }
    }
}

private struct Header: Encodable {
    let event: String
    let time: Double
    let token: String?
}

/// The decoding side of a line: the kind picks the payload type, decoded from the same object.
struct EventEnvelope: Decodable {
    let event: Event
    let time: Double
    let token: String?

    private enum Keys: String, CodingKey { case event, time, token }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        guard let name = try? container.decodeIfPresent(String.self, forKey: .event) else {
            throw RejectReason.missingKind
        }
        guard let kind = EventKind(rawValue: name) else { throw RejectReason.unknownKind(name) }
        do {
            time = try container.decode(Double.self, forKey: .time)
            token = try container.decodeIfPresent(String.self, forKey: .token)
            switch kind {
            case .hello: event = .hello(try Hello(from: decoder))
            case .step: event = .step(try Step(from: decoder))
            case .checkpoint: event = .checkpoint(try Checkpoint(from: decoder))
            case .log: event = .log(try LogLine(from: decoder))
            case .warning: event = .warning(try Notice(from: decoder))
            case .error: event = .error(try Notice(from: decoder))
            case .done: event = .done(try Done(from: decoder))
            case .recovery: event = .recovery(try RecoveryNotice(from: decoder))
            }
        } catch {
            throw RejectReason.invalidFields(kind: name, detail: LineCoding.detail(error))
        }
    }
}

/// Decodes lines and counts what it accepts and rejects: the event parser of both the receiver
/// and the file reader.
public struct EventParser {
    public let maxLength: Int
    public private(set) var counts = LineCounts()
    private let decoder = LineCoding.makeDecoder()

    public init(maxLength: Int = TelemetrySchema.maxLineLength) {
        self.maxLength = maxLength
    }

    /// One line without its newline.
    public mutating func parse<Bytes: Collection>(_ line: Bytes) -> Result<ParsedLine, RejectReason>
    where Bytes.Element == UInt8 {
        let result = LineCoding.decode(line, maxLength: maxLength, decoder: decoder)
        record(result)
        return result
    }

    /// A line the splitter already discarded as too long.
    public mutating func rejectOverlong(bytes: Int) {
        counts.reject(.tooLong(bytes: bytes))
    }

    /// Counts a result decided elsewhere (e.g. a valid hello refused as a second hello).
    mutating func record(_ result: Result<ParsedLine, RejectReason>) {
        switch result {
        case .success: counts.accept()
        case .failure(let reason): counts.reject(reason)
        }
    }
}
