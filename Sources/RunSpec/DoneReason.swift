/// Why a run ended, as rank 0's `done` event says it. On the wire it is a string; a reason this
/// build does not know (from a newer writer) is kept as it came instead of refusing the event.
public enum DoneReason: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// Every step was trained.
    case completed
    /// A stop command ended it after a step.
    case stopped
    /// Training failed (the error event says why).
    case failed
    /// It stopped so that the launcher can restart it on another mesh (`ExitStatus.reconfigure`).
    case reconfigure
    case unknown(String)

    public init(rawValue: String) {
        switch rawValue {
        case "completed": self = .completed
        case "stopped": self = .stopped
        case "failed": self = .failed
        case "reconfigure": self = .reconfigure
        default: self = .unknown(rawValue)
        }
    }

    public init(stringLiteral value: String) { self.init(rawValue: value) }

    public var rawValue: String {
        switch self {
        case .completed: return "completed"
        case .stopped: return "stopped"
        case .failed: return "failed"
        case .reconfigure: return "reconfigure"
        case .unknown(let text): return text
        }
    }

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
