import Foundation

/// Results the tests of a class share instead of computing twice (the same run of meshtop-rank,
/// say): `value(for:)` computes a key's value the first time any test asks for it, and gives the
/// same value to every later test of the process. A computation that throws keeps nothing, so
/// each test that needs it fails on its own; make it throw rather than merely assert for
/// anything that makes the value unusable.
public final class SharedRuns<Key: Hashable & Sendable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Key: Value] = [:]

    public init() {}

    /// Holds the lock while `compute` runs: tests asking for the same key at once wait for one run.
    public func value(for key: Key, _ compute: () throws -> Value) throws -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let value = values[key] { return value }
        let value = try compute()
        values[key] = value
        return value
    }
}
