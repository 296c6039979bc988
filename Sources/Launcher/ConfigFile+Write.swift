import Foundation
import RunOptions
import RunSpec

extension ConfigFile {
    /// `spec` in torchtitan's TOML shape: what `meshtop run --config` reads back to the same run
    /// (`meshtop run --print-config`). Only what differs from the defaults is written, under the
    /// first key the schema reads it from. Options torchtitan has no key for are returned apart,
    /// as rank arguments, for the caller to say.
    public static func toml(for spec: RunSpecification) -> (text: String, unwritten: [String]) {
        let written = RankArguments.written(spec)
        var given = Dictionary(written.map { ($0.flag, $0.value) }, uniquingKeysWith: { first, _ in first })
        var sections: [String: [String]] = [:]
        func put(_ section: String, _ line: String) { sections[section, default: []].append(line) }
        put("parallelism", "data_parallel_replicate_degree = \(spec.mesh.replicate)")
        put("parallelism", "data_parallel_shard_degree = \(spec.mesh.shard)")
        given["--mesh"] = nil
        if given.removeValue(forKey: "--no-reshard-after-forward") != nil {
            put("parallelism", "fsdp_reshard_after_forward = \"never\"")
        }
        if let folder = given.removeValue(forKey: "--checkpoint-dir") ?? nil {
            // As torchtitan, an enabled checkpoint resumes from the newest (or from load_step).
            put("checkpoint", "enable = true")
            put("checkpoint", "folder = \(quoted(checkpointFolder(folder, dumpFolder: spec.dumpFolder)))")
            if let every = given.removeValue(forKey: "--checkpoint-every") ?? nil { put("checkpoint", "interval = \(every)") }
            if let keep = given.removeValue(forKey: "--keep-checkpoints") ?? nil { put("checkpoint", "keep_latest_k = \(keep)") }
            if let step = given.removeValue(forKey: "--resume-step") ?? nil { put("checkpoint", "load_step = \(step)") }
            given["--resume"] = nil
        }
        if let tokenizer = given.removeValue(forKey: "--tokenizer") ?? nil { put("model", "hf_assets_path = \(quoted(tokenizer))") }
        for (section, keys) in ConfigSchema.sections {
            for key in keys {
                guard case .option(let flag) = key.use, let value = given.removeValue(forKey: flag) ?? nil else { continue }
                put(section, "\(key.name) = \(key.kind == .string ? quoted(value) : value)")
            }
        }
        let unwritten = written.filter { given.keys.contains($0.flag) }.flatMap { [$0.flag] + ($0.value.map { [$0] } ?? []) }
        let text = ConfigSchema.sections.compactMap { section in
            sections[section.name].map { "[\(section.name)]\n" + $0.joined(separator: "\n") + "\n" }
        }.joined(separator: "\n")
        return (text, unwritten)
    }

    /// `[checkpoint] folder` lies under the dump folder unless absolute: the way to write `dir`.
    static func checkpointFolder(_ dir: String, dumpFolder: String) -> String {
        if dir.hasPrefix("/") { return dir }
        let prefix = dumpFolder.hasSuffix("/") ? dumpFolder : dumpFolder + "/"
        if dir.hasPrefix(prefix) { return String(dir.dropFirst(prefix.count)) }
        return URL(fileURLWithPath: dir).standardizedFileURL.path
    }

    /// A TOML basic string.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
