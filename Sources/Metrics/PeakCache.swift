import CBLAS
import Foundation

/// `peak-flops.json`: one core's best sgemm FLOP/s per machine set-up, and when it was found.
/// Versioned; a file of another version (or unreadable) is ignored and rewritten by the next save.
/// Its folder is `$MESHTOP_CACHE_DIR` if set (tests point it elsewhere), else `$HOME/.cache/meshtop`.
public struct PeakCache: Sendable {
    public static let version = 2
    public let file: URL

    public struct Entry: Codable, Equatable, Sendable {
        /// One core's best FLOP/s.
        public var coreFlops: Double
        /// Unix seconds when it was measured (or raised by a step).
        public var measuredAt: Double
        public init(coreFlops: Double, measuredAt: Double) { self.coreFlops = coreFlops; self.measuredAt = measuredAt }
    }

    struct Contents: Codable {
        var version: Int
        var entries: [String: Entry]
    }

    public init(directory: URL) { file = directory.appendingPathComponent("peak-flops.json") }

    /// The cache of this user (see the type's comment).
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> PeakCache {
        if let dir = environment["MESHTOP_CACHE_DIR"], !dir.isEmpty { return PeakCache(directory: URL(fileURLWithPath: dir)) }
        // Foundation's home directory on Linux comes from the password database, not $HOME.
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        return PeakCache(directory: home.appendingPathComponent(".cache/meshtop"))
    }

    /// Every entry of a file of this version; empty for a missing, malformed or older file.
    func entries() -> [String: Entry] {
        guard let data = try? Data(contentsOf: file),
              let contents = try? JSONDecoder().decode(Contents.self, from: data),
              contents.version == Self.version else { return [:] }
        return contents.entries
    }

    public func entry(_ key: String = MachineKey.current()) -> Entry? { entries()[key] }

    /// Replaces `key`'s entry, keeping the others; written to a temporary file and renamed.
    public func save(_ entry: Entry, key: String = MachineKey.current()) throws {
        var all = entries()
        all[key] = entry
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(Contents(version: Self.version, entries: all)).write(to: file, options: .atomic)
    }
}

/// Identifies a machine's BLAS set-up: the CPU model, its online cores and the OpenBLAS build
/// with the kernel it runs (so a figure of one kernel never stands for another's).
public enum MachineKey {
    /// This process's key, or with `kernel` in place of the one it runs: the key of a process that
    /// runs that kernel on this machine (a test predicting a rank's, `BLASEnvironment.chosen`).
    public static func current(kernel: String = BLASEnvironment.kernel) -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown cpu"
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let config = openblas_get_config().map { String(cString: $0) } ?? "unknown blas"
        let own = BLASEnvironment.kernel
        let blas = kernel == own ? config : config.replacingOccurrences(of: " \(own) ", with: " \(kernel) ")
        return "\(cpu) | \(cores) cores | \(blas)"
    }
}
