import Foundation
import RunSpec

/// The topology file on disk: JSON with snake_case keys, written to a temporary file and renamed
/// (a reader never sees half of one), read back with each problem named in one line.
public enum TopologyFile {
    /// The file's text: pretty-printed, keys sorted, one final newline.
    public static func encode(_ topology: Topology) throws -> Data {
        try encoder([.prettyPrinted, .sortedKeys]).encode(topology) + Data("\n".utf8)
    }

    /// The same JSON on one line (how the probe's rank 0 hands it to `meshtop probe`).
    public static func line(_ topology: Topology) throws -> String {
        String(decoding: try encoder([.sortedKeys]).encode(topology), as: UTF8.self)
    }

    private static func encoder(_ formatting: JSONEncoder.OutputFormatting) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = formatting
        return encoder
    }

    public static func decode(_ data: Data, name: String) throws -> Topology {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        struct Header: Decodable { var format: String?; var version: Int? }
        guard let header = try? decoder.decode(Header.self, from: data) else {
            throw InputError("\(name): not a JSON object (expected a topology file written by `meshtop probe`)")
        }
        guard header.format == Topology.formatName else {
            throw InputError("\(name): not a topology file (its \"format\" is \(header.format.map { "\"\($0)\"" } ?? "missing"), expected \"\(Topology.formatName)\")")
        }
        guard header.version == Topology.currentVersion else {
            throw InputError("\(name): topology version \(header.version.map(String.init) ?? "missing"); this meshtop reads version \(Topology.currentVersion) (run `meshtop probe` again)")
        }
        let topology: Topology
        do { topology = try decoder.decode(Topology.self, from: data) } catch {
            throw InputError("\(name): \(describe(error))")
        }
        try validate(topology, name: name)
        return topology
    }

    /// Reads `path`; `option` names it in messages (e.g. "--topology t.json").
    public static func read(_ path: String, option: String) throws -> Topology {
        try InputFile.requireReadable(path, option)
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw InputError("\(option): \(ErrorText.line(error))")
        }
        return try decode(data, name: option)
    }

    /// Writes `topology` to `path` atomically.
    public static func write(_ topology: Topology, to path: String) throws {
        try encode(topology).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Rates and times a prediction divides by must be positive and finite.
    static func validate(_ t: Topology, name: String) throws {
        func positive(_ value: Double, _ field: String) throws {
            guard value > 0, value.isFinite else { throw InputError("\(name): \(field) \(value): must be positive") }
        }
        try positive(t.compute.coreFlopsAlone, "compute.core_flops_alone")
        guard !t.compute.rankFlopsAllBusy.isEmpty else { throw InputError("\(name): compute.rank_flops_all_busy: is empty") }
        for rate in t.compute.rankFlopsAllBusy { try positive(rate, "compute.rank_flops_all_busy") }
        for (field, link) in [("intra_host", t.intraHost), ("inter_host", t.interHost)] {
            guard let link else { continue }
            guard link.latencySeconds >= 0, link.latencySeconds.isFinite else {
                throw InputError("\(name): \(field).latency_seconds \(link.latencySeconds): must not be negative")
            }
            try positive(link.bandwidthBytesPerSecond, "\(field).bandwidth_bytes_per_second")
            try positive(link.bothWaysBandwidthBytesPerSecond, "\(field).both_ways_bandwidth_bytes_per_second")
        }
        guard !t.hosts.isEmpty else { throw InputError("\(name): hosts: is empty") }
    }

    /// A decoding error as "field: what is wrong".
    static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return ErrorText.line(error) }
        // The file's own names: snake_case, as written (the decoder converted them).
        func snake(_ name: String) -> String {
            name.reduce(into: "") { out, c in out += c.isUppercase ? "_" + c.lowercased() : String(c) }
        }
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? snake($0.stringValue) }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .keyNotFound(key, context): return "\(path(context.codingPath + [key])): missing"
        case let .typeMismatch(_, context), let .valueNotFound(_, context):
            return "\(path(context.codingPath)): of the wrong type"
        case let .dataCorrupted(context): return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return ErrorText.line(error)
        }
    }
}
