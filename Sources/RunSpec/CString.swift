/// The text of a NUL-terminated C buffer (gethostname's, mkstemp's template, a /proc line):
/// what `String(cString:)` on an array did before Swift deprecated it.
public func string(fromCBuffer buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

#if canImport(Glibc)
import Glibc
#endif

/// This machine's host name (gethostname), as ranks report it and the front end compares it.
public let thisHostName: String = {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count)
    return string(fromCBuffer: buffer)
}()
