import Foundation
import RunSpec
import Telemetry

/// An Open MPI hostfile as meshtop needs it: the hosts in order and their slots (`host
/// slots=N`, `#` comments; a host without `slots` has one). mpirun fills each host's slots in
/// turn, so ranks 0..<s run on the first host, the next s on the second, and so on.
public struct Hostfile: Equatable, Sendable {
    public struct Host: Equatable, Sendable {
        public var name: String
        public var slots: Int

        public init(name: String, slots: Int) {
            self.name = name
            self.slots = slots
        }
    }

    public var hosts: [Host]

    public init(hosts: [Host]) { self.hosts = hosts }

    public init(path: String) throws {
        try InputFile.requireReadable(path, "--hostfile \(path)")
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw InputError("--hostfile \(path): \(ErrorText.line(error))")
        }
        try self.init(text: text, name: path)
    }

    public init(text: String, name: String) throws {
        var hosts: [Host] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let host = words.first else { continue }
            var slots = 1
            for word in words.dropFirst() where word.hasPrefix("slots=") {
                guard let n = Int(word.dropFirst("slots=".count)), n >= 1 else {
                    throw InputError("--hostfile \(name): line \(number + 1): \(word): slots must be at least 1")
                }
                slots = n
            }
            if let i = hosts.firstIndex(where: { $0.name == host }) { hosts[i].slots += slots } else {
                hosts.append(Host(name: host, slots: slots))
            }
        }
        guard !hosts.isEmpty else { throw InputError("--hostfile \(name): no hosts in it") }
        self.hosts = hosts
    }

    public var slots: Int { hosts.map(\.slots).reduce(0, +) }

    /// The mesh that keeps each replica's shards on one host: (hosts, slots per host), when
    /// every host has the same slots and the job fills them; nil otherwise.
    public func hostMesh(ranks: Int) -> MeshShape? {
        guard let first = hosts.first, hosts.allSatisfy({ $0.slots == first.slots }), ranks == slots else { return nil }
        return try? MeshShape(replicate: hosts.count, shard: first.slots)
    }

    /// Whether every host is this machine's loopback (then the ranks are all local).
    public var isLocal: Bool { hosts.allSatisfy { SourceAddress.isLoopback($0.name) } }
}
