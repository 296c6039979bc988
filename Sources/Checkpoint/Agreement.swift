import Collectives

/// Runs `body` on every rank of `world` and makes the outcome collective: if any rank failed,
/// every rank throws the same `CheckpointError` (the failing ranks' messages, kind of the first),
/// so all ranks take the same path afterwards (give up, or fall back to an older checkpoint)
/// and none waits forever in a collective the others skipped.
func agree<T>(_ world: Communicator, _ body: () throws -> T) throws -> T {
    var result: T?
    var failure: Error?
    do { result = try body() } catch { failure = error }
    guard world.size > 1 else {
        if let failure { throw failure as? CheckpointError ?? CheckpointError(.invalid, "\(failure)") }
        return result!
    }
    let failed = try world.allReduce([Int32(failure == nil ? 0 : 1)], op: .max)[0]
    if failed == 0 { return result! }

    let mine = failure.map { ((($0 as? CheckpointError)?.kind ?? .invalid).rawValue) + "\n" + "\($0)" } ?? ""
    var verdict: [UInt8] = []
    if let all = try world.gatherBytes(Array(mine.utf8), root: 0) {
        var kind: String?
        var messages: [String] = []
        for bytes in all where !bytes.isEmpty {
            let text = String(decoding: bytes, as: UTF8.self)
            let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            if kind == nil { kind = String(parts[0]) }
            let message = parts.count > 1 ? String(parts[1]) : ""
            if !messages.contains(message) { messages.append(message) }
        }
        verdict = Array(((kind ?? CheckpointError.Kind.invalid.rawValue) + "\n" + messages.joined(separator: "; ")).utf8)
    }
    let text = String(decoding: try world.broadcastBytes(verdict, root: 0), as: UTF8.self)
    let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
    throw CheckpointError(CheckpointError.Kind(rawValue: String(parts[0])) ?? .invalid,
                          parts.count > 1 ? String(parts[1]) : text)
}
