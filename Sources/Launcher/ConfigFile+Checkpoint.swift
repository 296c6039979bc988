import Foundation

/// `[checkpoint]`: its keys mean several options together, and only when enabled.
extension ConfigFile {
    /// As torchtitan: nothing unless enabled; the folder lies under `job.dump_folder`; an
    /// enabled run resumes from the newest checkpoint there, if any (or from `load_step`).
    mutating func readCheckpoint(_ given: [String: ConfigValue], dumpFolder: String?) throws {
        guard (given["enable"] ?? given["enable_checkpoint"])?.bool == true else { return }
        let folder = given["folder"]?.string ?? "checkpoint"
        // meshtop's --dump-folder default when the file has none.
        let directory = folder.hasPrefix("/") ? folder : ((dumpFolder ?? "outputs") as NSString).appendingPathComponent(folder)
        arguments += ["--checkpoint-dir", directory]
        if let interval = given["interval"] {
            guard let n = interval.int, n >= 1 else { throw refuse("checkpoint", "interval", interval, "must be at least 1") }
            arguments += ["--checkpoint-every", String(n)]
        }
        if let keep = given["keep_latest_k"] {
            guard let k = keep.int, k >= 0 else { throw refuse("checkpoint", "keep_latest_k", keep, "must be 0 (keep all) or more") }
            if k > 0 { arguments += ["--keep-checkpoints", String(k)] }
        }
        let step = given["load_step"]
        switch step?.int ?? -1 {
        case -1: arguments.append("--resume")
        case let n where n >= 1: arguments += ["--resume-step", String(n)]
        default: throw refuse("checkpoint", "load_step", step!, "must be -1 (the newest) or a step of at least 1")
        }
    }
}
