import Foundation
import RunSpec
import Telemetry

/// Reads a run from a path, whichever kind it is (LoadedRun.Source). A path that is none of them
/// is refused in one line naming it.
public enum RunLoader {
    public static func load(_ path: String) throws -> LoadedRun {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw InputError("\(path): no such file or folder")
        }
        if isFolder.boolValue ? TensorBoardRun.isLogFolder(path) : TensorBoardRun.isEventFile(path) { return try TensorBoardRun.load(path) }
        guard !isFolder.boolValue else {
            if let run = try TorchtitanLog.folder(path) { return run }
            throw InputError("\(path): a folder, and not one meshtop reads runs from")
        }
        if let run = try TorchtitanLog.file(path) { return run }
        return try recording(path)
    }

    /// `meshtop run --metrics-file`'s JSON lines; malformed lines among good ones are skipped.
    public static func recording(_ path: String) throws -> LoadedRun {
        let (records, counts) = try InputError.refusing { try TelemetryFileReader.readAll(path: path) }
        guard !records.isEmpty else {
            throw InputError("\(path): not a run meshtop reads (no line is a telemetry event)")
        }
        let skipped = counts.rejected > 0 ? ["\(path): \(counts.rejected) malformed line(s) skipped"] : []
        return LoadedRun(path: path, source: .recording, records: records, skipped: skipped)
    }
}
