import Foundation
import RunSpec
import Telemetry

/// A torchtitan log followed as it is written (`meshtop watch`), or read whole (RunLoader): one
/// console file, or torchrun's `--log-dir` folder, whose rank files are looked for again at every
/// poll (ranks that start later, a new attempt after a restart). Each poll's new lines from the
/// several files are merged in the order of their timestamps, so the fold sees the ranks
/// interleaved as they ran. A file truncated or replaced, or a new attempt, starts the run over.
public final class TorchtitanFollower {
    public let path: String
    public let isFolder: Bool
    private var tails: [String: (tail: LogFileTail, rank: Int?, lastTime: Double)] = [:]
    private var attempt: String?
    public private(set) var fold = TorchtitanFold()

    /// Refuses a path that does not exist; a folder is taken as torchrun's, whatever it holds yet.
    public init(path: String) throws {
        var folder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &folder) else {
            throw InputError("\(path): no such file or folder")
        }
        self.path = path
        isFolder = folder.boolValue
        if !isFolder { tails[path] = (LogFileTail(path: path), nil, -.infinity) }
    }

    /// The events of the lines written since the last call, and notes on what happened to the
    /// files (for the dashboard's log: a file that started over, a new attempt).
    public func poll() -> (records: [TelemetryRecord], notes: [String]) {
        var notes: [String] = []
        var records: [TelemetryRecord] = []
        if isFolder, let latest = TorchrunLogFolder.latestAttempt(in: path) {
            if let attempt, attempt != latest {
                notes.append("\(latest): a new attempt; reading the run from its start")
                tails = [:]
                records += startOver()
            }
            attempt = latest
            for file in TorchrunLogFolder.files(in: latest) ?? [] where tails[file.path] == nil {
                tails[file.path] = (LogFileTail(path: file.path), file.rank, -.infinity)
                fold.expect(rank: file.rank)
            }
        }
        var batches: [[(line: String, rank: Int?, key: Double)]] = []
        for name in tails.keys.sorted() {
            var entry = tails[name]!
            let (lines, change) = entry.tail.read()
            if change != .none {
                notes.append("\(name): \(change == .truncated ? "truncated" : "replaced"); reading it from the start")
                records += startOver()
                entry.lastTime = -.infinity
            }
            // One file needs no merging, nor the timestamps it goes by.
            batches.append(lines.map { line in
                if tails.count > 1, let time = TorchtitanLine(line).time { entry.lastTime = time }
                return (line, entry.rank, entry.lastTime)
            })
            tails[name] = entry
        }
        for (line, rank, _) in Self.merged(batches) { records += fold.feed(line, rank: rank ?? 0) }
        return (records, notes)
    }

    /// The end of the input: unfinished last lines, then what the fold still holds.
    public func finish() -> [TelemetryRecord] {
        var records: [TelemetryRecord] = []
        for name in tails.keys.sorted() {
            let entry = tails[name]!
            for line in entry.tail.finish() { records += fold.feed(line, rank: entry.rank ?? 0) }
        }
        return records + fold.finish()
    }

    /// Lines longer than LogFileTail's limit that were dropped, over every file.
    public var overlongLines: Int { tails.values.reduce(0) { $0 + $1.tail.overlong } }

    /// What the old fold still held, and a fresh fold for the run read again.
    private func startOver() -> [TelemetryRecord] {
        let held = fold.finish()
        fold = TorchtitanFold()
        for entry in tails.values { if let rank = entry.rank { fold.expect(rank: rank) } }
        return held
    }

    /// Sorted batches merged by key, each batch's order kept, ties to the earlier batch.
    static func merged<T>(_ batches: [[(line: String, rank: T, key: Double)]]) -> [(line: String, rank: T, key: Double)] {
        var heads = batches.map { _ in 0 }
        var out: [(line: String, rank: T, key: Double)] = []
        out.reserveCapacity(batches.reduce(0) { $0 + $1.count })
        while true {
            var best: Int?
            for i in batches.indices where heads[i] < batches[i].count {
                if best == nil || batches[i][heads[i]].key < batches[best!][heads[best!]].key { best = i }
            }
            guard let i = best else { return out }
            out.append(batches[i][heads[i]])
            heads[i] += 1
        }
    }
}
