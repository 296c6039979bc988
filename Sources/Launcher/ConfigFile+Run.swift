import Foundation

/// `[checkpoint]`, the dataset and the tokenizer: keys whose meaning is more than one option.
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

    /// A dataset meshtop does not have trains on the shipped corpus instead; `hf_assets_path`
    /// (or the older `tokenizer_path`) selects a folder's tokenizer.json, the shipped one when
    /// the folder is not there.
    mutating func readAssets(model: [String: ConfigValue], training: [String: ConfigValue]) throws {
        if let dataset = training["dataset"], training["dataset_path"] == nil,
           !ConfigSchema.shippedDatasets.contains(dataset.string ?? "") {
            replaced.append("dataset \(dataset.shown) is not one meshtop has: training on the shipped tinyshakespeare")
        }
        guard let key = ["hf_assets_path", "tokenizer_path"].first(where: { model[$0] != nil }),
              let value = model[key], let path = value.string else { return }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            replaced.append("model.\(key) \(value.shown) is not there: using the shipped tokenizer")
            return
        }
        if isFolder.boolValue {
            let file = (path as NSString).appendingPathComponent("tokenizer.json")
            guard FileManager.default.fileExists(atPath: file) else {
                throw refuse("model", key, value, "no tokenizer.json in that folder")
            }
            arguments += ["--tokenizer", file]
        } else if path.hasSuffix(".json") {
            arguments += ["--tokenizer", path]
        } else {
            throw refuse("model", key, value, "meshtop reads a Hugging Face tokenizer.json, or a folder holding one")
        }
    }
}
