import Foundation
import RunSpec
import TensorBoard
import Telemetry

/// A TensorBoard log as a run: a folder of event files (torchtitan's, `--tensorboard`'s, any
/// writer's) with its `rank_N` folders, or one event file. What the steps hold, and what stays
/// at a neutral value because no tag says it, is in `TensorBoardRun+Steps` and docs/tensorboard.md.
public enum TensorBoardRun {
    public static let filePrefix = "events.out.tfevents."

    /// A file named as TensorBoard's writers name event files.
    public static func isEventFile(_ path: String) -> Bool {
        (path as NSString).lastPathComponent.hasPrefix(filePrefix)
    }

    /// A folder holding event files, directly or in `rank_N` folders.
    public static func isLogFolder(_ path: String) -> Bool {
        let layout = Layout(folder: path)
        return !layout.top.isEmpty || !layout.ranks.isEmpty
    }

    public static func load(_ path: String) throws -> LoadedRun {
        var isFolder: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        let layout = isFolder.boolValue ? Layout(folder: path) : Layout(file: path)
        let top = try TensorBoardSeries(files: layout.top)
        let ranks = try layout.ranks.map { (rank: $0.rank, series: try TensorBoardSeries(files: $0.files)) }
        return try assemble(path: path, top: top, ranks: ranks, topRank: layout.topRank)
    }

    /// Where a log's event files are.
    struct Layout {
        /// Event files of the top level, in name order.
        var top: [String] = []
        /// Each `rank_N` folder's event files, by rank.
        var ranks: [(rank: Int, files: [String])] = []
        /// The rank whose figures the top level's are when there are no rank folders: 0 (as
        /// torchtitan's rank 0 alone logs), or N for one file inside `rank_N`.
        var topRank = 0

        init(folder: String) {
            top = Self.eventFiles(in: folder)
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for name in entries {
                guard let rank = Self.rank(ofFolder: name) else { continue }
                let files = Self.eventFiles(in: (folder as NSString).appendingPathComponent(name))
                if !files.isEmpty { ranks.append((rank, files)) }
            }
            ranks.sort { $0.rank < $1.rank }
        }

        init(file: String) {
            top = [file]
            topRank = Self.rank(ofFolder: ((file as NSString).deletingLastPathComponent as NSString).lastPathComponent) ?? 0
        }

        static func eventFiles(in folder: String) -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return names.filter { $0.hasPrefix(TensorBoardRun.filePrefix) }.sorted()
                .map { (folder as NSString).appendingPathComponent($0) }
                .filter { path in
                    var isFolder: ObjCBool = false
                    return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue
                }
        }

        /// N for a folder named `rank_N`.
        static func rank(ofFolder name: String) -> Int? {
            guard name.hasPrefix("rank_"), let n = Int(name.dropFirst(5)), n >= 0, String(n) == name.dropFirst(5) else { return nil }
            return n
        }
    }
}
