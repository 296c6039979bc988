import Foundation
import TOMLKit

/// `--config FILE.toml`: a run described in torchtitan's shape (its own llama3
/// `debug_model.toml` loads as it is), turned into the command-line options it stands for.
/// Options given on the command line come after these and win (`expand`).
///
/// Keys meshtop has are honoured (`ConfigSchema`); everything else, and what meshtop replaces
/// (a dataset it does not have, a tokenizer folder that is not there), is said in ONE warning.
/// A value of the wrong type, or a combination meshtop cannot run, is an error naming the key
/// and the value.
public struct ConfigFile {
    /// The file's name in messages.
    public let name: String
    /// The options, in the schema's order. The mesh is apart: it may need the number of ranks
    /// (`meshArguments(ranks:cores:)`).
    public internal(set) var arguments: [String] = []
    /// `[parallelism]`'s data-parallel degrees; the shard degree may be -1 (all remaining ranks).
    public internal(set) var degrees: MeshDegrees?
    /// Sections and keys meshtop does not use, as `[section]` or `section.key`.
    public internal(set) var ignored: [String] = []
    /// What meshtop uses instead of something the file names that it does not have.
    public internal(set) var replaced: [String] = []
    /// The key each option of `arguments` came from, as `[section] key`, so that a refused value
    /// can be traced back to the line of the file that set it.
    public internal(set) var origins: [String: String] = [:]

    /// None, or the one warning: everything ignored and replaced, on one line.
    public var warnings: [String] {
        var parts: [String] = []
        if !ignored.isEmpty { parts.append("ignored: " + ignored.joined(separator: ", ")) }
        parts += replaced
        return parts.isEmpty ? [] : ["\(name): " + parts.joined(separator: "; ")]
    }

    public init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw LaunchError("--config \(path): cannot read the file")
        }
        try self.init(toml: text, name: path)
    }

    public init(toml text: String, name: String = "config") throws {
        self.name = name
        let root: TOMLTable
        do { root = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw LaunchError("\(name): not TOML (line \(error.source.begin.line), column \(error.source.begin.column)): \(error.description)")
        }
        var sections: [String] = []
        var keys: [String] = []
        var values: [String: [String: ConfigValue]] = [:]
        for (section, value) in root {
            guard let schema = ConfigSchema.sections.first(where: { $0.name == section })?.keys else {
                sections += Self.tableNames(section, value)
                continue
            }
            guard let table = value.table else {
                throw LaunchError("\(name): \(section) = \(Self.show(value)): expected a table [\(section)]")
            }
            for (key, value) in table {
                guard let known = schema.first(where: { $0.name == key }) else {
                    keys.append("\(section).\(key)")
                    continue
                }
                values[section, default: [:]][key] = try typed(value, known.kind, section, key)
            }
        }
        ignored = sections + keys
        for (section, schema) in ConfigSchema.sections {
            guard let given = values[section] else { continue }
            for key in schema {
                guard let value = given[key.name] else { continue }
                switch key.use {
                case .option(let option):
                    arguments += [option, value.text]
                    origins[option] = "[\(section)] \(key.name)"
                case .expect(let expected) where !Self.same(value, expected):
                    ignored.append("\(section).\(key.name) = \(value.shown) (meshtop: \(expected.shown))")
                case .expect, .handled, .note: break
                }
            }
        }
        degrees = try readParallelism(values["parallelism"] ?? [:])
        try readCheckpoint(values["checkpoint"] ?? [:], dumpFolder: values["job"]?["dump_folder"]?.string)
        try readAssets(model: values["model"] ?? [:], training: values["training"] ?? [:])
    }

    /// The value of `key` as the schema's kind (an integer is a number too), or an error naming it.
    func typed(_ value: TOMLValueConvertible, _ kind: ConfigKey.Kind, _ section: String, _ key: String) throws -> ConfigValue {
        switch kind {
        case .int:
            if value.type == .int, let v = value.int { return .int(v) }
            throw wrong(section, key, value, "an integer")
        case .double:
            if value.type == .int, let v = value.int { return .double(Double(v)) }
            if value.type == .double, let v = value.double { return .double(v) }
            throw wrong(section, key, value, "a number")
        case .string:
            if value.type == .string, let v = value.string { return .string(v) }
            throw wrong(section, key, value, "a string")
        case .bool:
            if value.type == .bool, let v = value.bool { return .bool(v) }
            throw wrong(section, key, value, "true or false")
        }
    }

    func wrong(_ section: String, _ key: String, _ value: TOMLValueConvertible, _ expected: String) -> LaunchError {
        LaunchError("\(name): [\(section)] \(key) = \(Self.show(value)): expected \(expected)")
    }

    /// An error naming the key and its value, and what is wrong with it.
    func refuse(_ section: String, _ key: String, _ value: ConfigValue, _ why: String) -> LaunchError {
        LaunchError("\(name): [\(section)] \(key) = \(value.shown): \(why)")
    }

    /// Equal, numbers up to rounding (1e-8 may be written 0.00000001).
    static func same(_ a: ConfigValue, _ b: ConfigValue) -> Bool {
        if case .double(let x) = a, case .double(let y) = b { return abs(x - y) <= 1e-9 * max(abs(x), abs(y)) }
        return a == b
    }

    /// A section meshtop does not have, by the names its headers give: `[quantize.linear.float8]`
    /// for a table holding only tables, `[profiling]` otherwise.
    static func tableNames(_ path: String, _ value: TOMLValueConvertible) -> [String] {
        guard let table = value.table else { return [path] }
        let children = Array(table)
        if children.isEmpty || children.contains(where: { $0.1.table == nil }) { return ["[\(path)]"] }
        return children.flatMap { tableNames("\(path).\($0.0)", $0.1) }
    }

    static func show(_ value: TOMLValueConvertible) -> String {
        if value.type == .string, let s = value.string { return "\"\(s)\"" }
        if let i = value.int, value.type == .int { return String(i) }
        if let d = value.double, value.type == .double { return "\(d)" }
        if let b = value.bool, value.type == .bool { return String(b) }
        return "a \(value.type)"
    }
}
