import Foundation
import TOMLKit

/// `--config FILE.toml`: a run described in torchtitan's shape, turned into the command-line
/// options it stands for. Options given on the command line come after these and win.
///
/// Unknown sections and keys are warnings naming them; a value of the wrong type is an error
/// naming the key and the value. Keys torchtitan has but meshtop does not use are accepted
/// silently (listed in `ignored`).
public struct ConfigFile {
    /// The options, in a stable order.
    public var arguments: [String] = []
    public var warnings: [String] = []

    enum Kind { case int, double, string, bool }

    /// A key and the option it sets (nil: accepted, not used).
    struct Key {
        var name: String
        var kind: Kind
        var option: String?
    }

    static let sections: [(String, [Key])] = [
        ("job", [Key(name: "dump_folder", kind: .string, option: "--dump-folder"),
                 Key(name: "description", kind: .string, option: nil)]),
        ("model", [Key(name: "name", kind: .string, option: nil),
                   Key(name: "flavor", kind: .string, option: "--flavor"),
                   Key(name: "tokenizer_path", kind: .string, option: "--tokenizer"),
                   Key(name: "dim", kind: .int, option: "--dim"),
                   Key(name: "n_layers", kind: .int, option: "--n-layers"),
                   Key(name: "n_heads", kind: .int, option: "--n-heads"),
                   Key(name: "n_kv_heads", kind: .int, option: "--n-kv-heads"),
                   Key(name: "vocab_size", kind: .int, option: "--vocab-size")]),
        ("optimizer", [Key(name: "name", kind: .string, option: nil),
                       Key(name: "lr", kind: .double, option: "--lr"),
                       Key(name: "eps", kind: .double, option: nil),
                       Key(name: "weight_decay", kind: .double, option: "--weight-decay")]),
        ("lr_scheduler", [Key(name: "warmup_steps", kind: .int, option: "--warmup-steps"),
                          Key(name: "decay_ratio", kind: .double, option: "--decay-ratio"),
                          Key(name: "decay_type", kind: .string, option: nil),
                          Key(name: "min_lr_factor", kind: .double, option: "--min-lr-factor")]),
        ("training", [Key(name: "local_batch_size", kind: .int, option: "--local-batch-size"),
                      Key(name: "seq_len", kind: .int, option: "--seq-len"),
                      Key(name: "gradient_accumulation_steps", kind: .int, option: "--grad-accum"),
                      Key(name: "steps", kind: .int, option: "--steps"),
                      Key(name: "max_norm", kind: .double, option: "--max-norm"),
                      Key(name: "seed", kind: .int, option: "--seed"),
                      Key(name: "dataset_path", kind: .string, option: "--data"),
                      Key(name: "dataset", kind: .string, option: nil),
                      Key(name: "threads", kind: .int, option: "--threads")]),
        ("parallelism", [Key(name: "data_parallel_replicate_degree", kind: .int, option: nil),
                         Key(name: "data_parallel_shard_degree", kind: .int, option: nil)]),
        ("checkpoint", [Key(name: "enable", kind: .bool, option: nil),
                        Key(name: "folder", kind: .string, option: "--checkpoint-dir"),
                        Key(name: "interval", kind: .int, option: "--checkpoint-every"),
                        Key(name: "keep_latest_k", kind: .int, option: "--keep-checkpoints")]),
        ("metrics", [Key(name: "log_freq", kind: .int, option: nil),
                     Key(name: "file", kind: .string, option: "--metrics-file"),
                     Key(name: "enable_tensorboard", kind: .bool, option: nil),
                     Key(name: "save_tb_folder", kind: .string, option: nil)]),
    ]

    public init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw LaunchError("--config \(path): cannot read the file")
        }
        try self.init(toml: text, name: path)
    }

    public init(toml text: String, name: String = "config") throws {
        let root: TOMLTable
        do { root = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw LaunchError("\(name): not TOML (line \(error.source.begin.line), column \(error.source.begin.column)): \(error.description)")
        }
        var values: [String: [String: TOMLValueConvertible]] = [:]
        for (section, value) in root {
            guard let keys = Self.sections.first(where: { $0.0 == section })?.1 else {
                warnings.append("\(name): unknown section [\(section)] ignored")
                continue
            }
            guard let table = value.table else {
                throw LaunchError("\(name): \(section) = \(Self.show(value)): expected a table [\(section)]")
            }
            for (key, value) in table {
                guard let known = keys.first(where: { $0.name == key }) else {
                    warnings.append("\(name): unknown key \(key) in [\(section)] ignored")
                    continue
                }
                let text: String
                switch known.kind {
                case .int:
                    guard value.type == .int, let v = value.int else { throw Self.wrong(name, section, key, value, "an integer") }
                    text = String(v)
                case .double:
                    if value.type == .int, let v = value.int { text = String(v) }
                    else if value.type == .double, let v = value.double { text = "\(v)" }
                    else { throw Self.wrong(name, section, key, value, "a number") }
                case .string:
                    guard value.type == .string, let v = value.string else { throw Self.wrong(name, section, key, value, "a string") }
                    text = v
                case .bool:
                    guard value.type == .bool, let v = value.bool else { throw Self.wrong(name, section, key, value, "true or false") }
                    text = String(v)
                }
                values[section, default: [:]][key] = value
                if let option = known.option { arguments += [option, text] }
            }
        }
        // Sections in the table's order vary: keep a stable order (that of `sections`).
        arguments = Self.ordered(arguments)
        if let parallelism = values["parallelism"] {
            let r = parallelism["data_parallel_replicate_degree"]?.int ?? 1
            let s = parallelism["data_parallel_shard_degree"]?.int ?? 1
            guard r >= 1, s >= 1 else {
                throw LaunchError("\(name): [parallelism] degrees must be at least 1 (got replicate \(r), shard \(s); -1 is not supported)")
            }
            arguments += ["--mesh", "\(r)x\(s)"]
        }
        if let checkpoint = values["checkpoint"], checkpoint["enable"]?.bool == false {
            // Disabled: its folder and interval do not apply.
            var kept: [String] = []
            var i = 0
            while i < arguments.count {
                if ["--checkpoint-dir", "--checkpoint-every", "--keep-checkpoints"].contains(arguments[i]) { i += 2; continue }
                kept.append(arguments[i]); i += 1
            }
            arguments = kept
        }
    }

    static func ordered(_ arguments: [String]) -> [String] {
        let order = sections.flatMap { $0.1.compactMap(\.option) }
        var pairs: [(String, String)] = []
        var i = 0
        while i + 1 < arguments.count { pairs.append((arguments[i], arguments[i + 1])); i += 2 }
        pairs.sort { (order.firstIndex(of: $0.0) ?? 0) < (order.firstIndex(of: $1.0) ?? 0) }
        return pairs.flatMap { [$0.0, $0.1] }
    }

    static func wrong(_ name: String, _ section: String, _ key: String, _ value: TOMLValueConvertible, _ expected: String) -> LaunchError {
        LaunchError("\(name): [\(section)] \(key) = \(show(value)): expected \(expected)")
    }

    static func show(_ value: TOMLValueConvertible) -> String {
        if value.type == .string, let s = value.string { return "\"\(s)\"" }
        if let i = value.int, value.type == .int { return String(i) }
        if let d = value.double, value.type == .double { return "\(d)" }
        if let b = value.bool, value.type == .bool { return String(b) }
        return "a \(value.type)"
    }

    /// `meshtop`'s arguments with `--config FILE` expanded: the file's options go right after the
    /// subcommand, before the command line's own (which therefore override them).
    public static func expand(_ arguments: [String], subcommands: Set<String>, warn: (String) -> Void) throws -> [String] {
        guard let index = arguments.firstIndex(where: { $0 == "--config" || $0.hasPrefix("--config=") }) else { return arguments }
        let path: String
        var rest = arguments
        if arguments[index] == "--config" {
            guard index + 1 < arguments.count else { throw LaunchError("--config needs a file") }
            path = arguments[index + 1]
            rest.removeSubrange(index...(index + 1))
        } else {
            path = String(arguments[index].dropFirst("--config=".count))
            rest.remove(at: index)
        }
        let file = try ConfigFile(path: path)
        file.warnings.forEach(warn)
        let head = rest.first.map { subcommands.contains($0) } == true ? [rest.removeFirst()] : ["run"]
        return head + file.arguments + rest
    }
}
