import Foundation

/// The one line a user is shown for an error: the error's own description where it has one,
/// the system's reason (strerror) for a Foundation file error, never a type name or an
/// `Error Domain=...` dump.
public enum ErrorText {
    public static func line(_ error: Error) -> String {
        if let decoding = error as? DecodingError { return reason(decoding) }
        if isFoundationError(error) {
            if let posix = posixCode(error) { return String(cString: strerror(posix)) }
            return flattened((error as NSError).localizedDescription)
        }
        // By type: on Linux any error casts to CustomStringConvertible through NSError.
        if type(of: error) is CustomStringConvertible.Type { return flattened(String(describing: error)) }
        return "unexpected error"
    }

    /// What is wrong with a JSON document, by the path of the key: `"format" is missing`.
    static func reason(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, context):
            return "\"\(path(context.codingPath + [key]))\" is missing"
        case let .typeMismatch(_, context), let .valueNotFound(_, context):
            return context.codingPath.isEmpty ? "not the expected JSON" : "\"\(path(context.codingPath))\" has the wrong type"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not JSON" : "\"\(path(context.codingPath))\" is not valid"
        @unknown default:
            return "not the expected JSON"
        }
    }

    /// Foundation's own errors, whose descriptions are dumps of their domain and user info.
    static func isFoundationError(_ error: Error) -> Bool {
        type(of: error) is NSError.Type || error is CocoaError || error is POSIXError
    }

    /// The errno behind a Foundation file error, if there is one.
    static func posixCode(_ error: Error) -> Int32? {
        if let posix = error as? POSIXError { return posix.code.rawValue }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return Int32(underlying.code)
        }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return ENOENT
        case .fileReadNoPermission, .fileWriteNoPermission: return EACCES
        case .fileWriteOutOfSpace: return ENOSPC
        default: return nil
        }
    }

    /// One line: newlines (from a multi-line description) become "; ".
    public static func flattened(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: "; ")
    }
}
