import Foundation

/// The files torchrun writes with `--log-dir DIR` (and `--tee`/`--redirects`), as
/// torch.distributed.elastic's `DefaultLogsSpecs.reify` lays them out
/// (torch/distributed/elastic/multiprocessing/api.py):
/// `DIR/<rdzv_run_id>_<random>/attempt_<restart count>/<local rank>/stdout.log` and `stderr.log`
/// (and `error.json`). torchtitan's logger writes to stdout since 99c0cb2 (2025-09-06), to stderr
/// before; tracebacks go to stderr: both are read. A rank is its folder's number, the local rank
/// (the global one on a single node).
public enum TorchrunLogFolder {
    public struct RankFile: Hashable, Sendable {
        public var rank: Int
        public var path: String

        public init(rank: Int, path: String) { self.rank = rank; self.path = path }
    }

    public static let fileNames = ["stdout.log", "stderr.log"]

    /// The files of the latest attempt of the newest run under `path`, which may be the log
    /// folder, a run's folder or an attempt's; nil when `path` is laid out as none of them (an
    /// attempt whose files are not written yet has an empty list).
    public static func files(in path: String) -> [RankFile]? {
        guard let attempt = latestAttempt(in: path) else { return nil }
        return rankFolders(attempt).flatMap { rank, folder in
            fileNames.map { folder + "/" + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
                .map { RankFile(rank: rank, path: $0) }
        }
    }

    /// The attempt folder `files(in:)` reads.
    public static func latestAttempt(in path: String) -> String? {
        if isAttempt(path) { return path }
        if let attempt = attempts(path).last { return attempt }
        let runs = subfolders(path).filter { !attempts($0).isEmpty }
        let newest = runs.max { modified($0) < modified($1) || (modified($0) == modified($1) && $0 < $1) }
        return newest.flatMap { attempts($0).last }
    }

    /// `attempt_N` folders, by N.
    static func attempts(_ path: String) -> [String] {
        subfolders(path).compactMap { folder -> (Int, String)? in
            let name = (folder as NSString).lastPathComponent
            guard name.hasPrefix("attempt_"), let n = Int(name.dropFirst("attempt_".count)) else { return nil }
            return (n, folder)
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// An attempt's folder: named `attempt_N`, or holding numbered rank folders with log files.
    static func isAttempt(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        if name.hasPrefix("attempt_"), Int(name.dropFirst("attempt_".count)) != nil { return true }
        return rankFolders(path).contains { _, folder in
            fileNames.contains { FileManager.default.fileExists(atPath: folder + "/" + $0) }
        }
    }

    /// The numbered folders of an attempt, by rank.
    static func rankFolders(_ path: String) -> [(Int, String)] {
        subfolders(path).compactMap { folder in
            Int((folder as NSString).lastPathComponent).map { ($0, folder) }
        }.sorted { $0.0 < $1.0 }
    }

    private static func subfolders(_ path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }.filter { folder in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue
        }
    }

    private static func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }
}
