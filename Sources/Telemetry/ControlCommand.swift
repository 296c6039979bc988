import Foundation
import RunSpec

/// What the front end asks of the run, sent back to rank 0 on the telemetry connection as
/// `{"command":"stop"}` lines. Rank 0 reads them with `TelemetrySender.pendingCommands()` and
/// decides at a step boundary (broadcasting the decision to every rank).
public enum ControlCommand: Equatable, Sendable {
    /// End the run after the current step (then `done` with reason "stopped").
    case stop
    /// Save the weights after the current step (then a `checkpoint` event).
    case checkpoint
    /// Hold at the next step boundary until `resume` (or `stop`).
    case pause
    case resume
    /// Change to another mesh: save, stop, and let the launcher start again on `mesh`.
    case reconfigure(mesh: MeshShape)

    public var name: String {
        switch self {
        case .stop: return "stop"
        case .checkpoint: return "checkpoint"
        case .pause: return "pause"
        case .resume: return "resume"
        case .reconfigure: return "reconfigure"
        }
    }
}

extension ControlCommand {
    /// `{"command":NAME[,"mesh":{"replicate":R,"shard":S}]}` and a newline.
    public func line() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let wire = WireCommand(command: name, mesh: { if case .reconfigure(let mesh) = self { return mesh }; return nil }())
        // Encoding two strings and two integers cannot fail.
        var bytes = (try? [UInt8](encoder.encode(wire))) ?? Array("{\"command\":\"\(name)\"}".utf8)
        bytes.append(0x0A)
        return bytes
    }

    /// One line (without its newline) as a command, or why not.
    public static func decode<Bytes: Collection>(_ line: Bytes, maxLength: Int = TelemetrySchema.maxLineLength)
        -> Result<ControlCommand, RejectReason> where Bytes.Element == UInt8 {
        LineCoding.decodeObject(line, maxLength: maxLength, decoder: JSONDecoder(), as: CommandEnvelope.self)
            .map(\.command)
    }
}

private struct WireCommand: Encodable {
    let command: String
    let mesh: MeshShape?
}

struct CommandEnvelope: Decodable {
    let command: ControlCommand

    /// A mesh's degrees as sent, before they are checked to make one.
    private struct Degrees: Decodable {
        let replicate: Int
        let shard: Int
    }

    private enum Keys: String, CodingKey { case command, mesh }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        guard let name = try? container.decodeIfPresent(String.self, forKey: .command) else {
            throw RejectReason.missingKind
        }
        switch name {
        case "stop": command = .stop
        case "checkpoint": command = .checkpoint
        case "pause": command = .pause
        case "resume": command = .resume
        case "reconfigure":
            let degrees: Degrees
            do { degrees = try container.decode(Degrees.self, forKey: .mesh) } catch {
                throw RejectReason.invalidFields(kind: name, detail: LineCoding.detail(error))
            }
            guard let mesh = try? MeshShape(replicate: degrees.replicate, shard: degrees.shard) else {
                throw RejectReason.invalidFields(kind: name, detail: "mesh: replicate and shard must be at least 1")
            }
            command = .reconfigure(mesh: mesh)
        default:
            throw RejectReason.unknownKind(name)
        }
    }
}
