import Foundation

/// The data and the tokenizer: what the file names, or the shipped ones when meshtop lacks it.
extension ConfigFile {
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
