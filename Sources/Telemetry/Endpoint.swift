import Foundation

/// Where the front end listens, as handed to the ranks: `host:port` (`[v6]:port` for IPv6).
public struct TelemetryAddress: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host; self.port = port
    }

    /// Parses `host:port` or `[v6]:port`; nil if malformed (port 0 is malformed).
    public init?(_ text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        let hostPart: Substring, portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard !hostPart.isEmpty, let port = UInt16(portPart), port > 0 else { return nil }
        self.init(host: String(hostPart), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The environment contract between the front end (which listens) and rank 0 (which connects).
public enum TelemetryEnvironment {
    /// `host:port` of the front end's listener.
    public static let addressVariable = "MESHTOP_TELEMETRY"
    /// The per-launch secret rank 0 must present in its first line.
    public static let tokenVariable = "MESHTOP_TELEMETRY_TOKEN"

    /// The two variables, for the ranks' environment (mpirun: `-x` each).
    public static func variables(address: TelemetryAddress, token: String) -> [String: String] {
        [addressVariable: address.description, tokenVariable: token]
    }

    public enum Lookup: Equatable, Sendable {
        /// No `MESHTOP_TELEMETRY`: the run has no front end.
        case absent
        case configured(TelemetryAddress, token: String)
        /// Set but unusable (the reason says which variable and why).
        case invalid(String)
    }

    public static func lookup(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Lookup {
        guard let text = environment[addressVariable], !text.isEmpty else { return .absent }
        guard let address = TelemetryAddress(text) else {
            return .invalid("\(addressVariable)=\(text) is not host:port")
        }
        guard let token = environment[tokenVariable], !token.isEmpty else {
            return .invalid("\(addressVariable) is set but \(tokenVariable) is not")
        }
        return .configured(address, token: token)
    }
}

public enum TelemetryToken {
    /// 128 random bits as 32 lowercase hex digits (the system's secure generator).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// Compares in time independent of where the two differ.
    static func matches(_ presented: String?, _ expected: String) -> Bool {
        guard let presented else { return false }
        let a = Array(presented.utf8), b = Array(expected.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<b.count { difference |= (i < a.count ? a[i] : 0) ^ b[i] }
        return difference == 0 && !b.isEmpty
    }
}
