import Foundation
import Telemetry

/// A finished torchtitan log as a LoadedRun (RunLoader's branch): a text file with torchtitan's
/// lines in it, or torchrun's `--log-dir` folder (TorchrunLogFolder).
public enum TorchtitanLog {
    /// The run of a console log; nil when the file is not text, is one of meshtop's own
    /// recordings (JSON lines) or has no line torchtitan's logger wrote.
    public static func file(_ path: String) throws -> LoadedRun? {
        guard let head = FileHandle(forReadingAtPath: path).flatMap({ try? $0.read(upToCount: 1 << 13) }) else { return nil }
        if head.isEmpty || head.contains(0) { return nil }
        let firstLine = String(decoding: head.prefix { $0 != 0x0A }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if firstLine.hasPrefix("{") { return nil }
        return try read(path)
    }

    /// The run of torchrun's log folder; nil when `path` is not laid out as one or its files
    /// have no torchtitan line.
    public static func folder(_ path: String) throws -> LoadedRun? {
        guard let files = TorchrunLogFolder.files(in: path), !files.isEmpty else { return nil }
        return try read(path)
    }

    private static func read(_ path: String) throws -> LoadedRun? {
        let follower = try TorchtitanFollower(path: path)
        let records = follower.poll().records + follower.finish()
        guard follower.fold.recognized > 0 else { return nil }
        var skipped = follower.fold.skipped.map { "\(path): \($0)" }
        if follower.overlongLines > 0 { skipped.append("\(path): \(follower.overlongLines) line(s) over 1 MiB skipped") }
        return LoadedRun(path: path, source: .torchtitanLog, records: records, skipped: skipped)
    }
}
