import Foundation
import RunSpec

/// The hosts of the Slurm allocation meshtop runs in (`salloc`, `sbatch`), as a hostfile would
/// give them: mpirun takes the allocation's hosts and slots by itself, so meshtop needs them
/// only for the default mesh (tasks per node as the shard degree) and for the address rank 0
/// reaches it at. Each host is named by its NodeAddr (`scontrol show node`), which routes.
public enum SlurmAllocation {
    /// nil outside an allocation.
    public static func hosts(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Hostfile? {
        guard environment["SLURM_JOB_ID"] != nil, let nodeList = environment["SLURM_JOB_NODELIST"],
              let perNode = environment["SLURM_TASKS_PER_NODE"] else { return nil }
        let names = try scontrol(["show", "hostnames", nodeList]).split(separator: "\n").map(String.init)
        let tasks = try tasksPerNode(perNode)
        guard names.count == tasks.count, !names.isEmpty else {
            throw LaunchError("Slurm allocation: \(names.count) nodes in \(nodeList) but SLURM_TASKS_PER_NODE=\(perNode)")
        }
        // One line per node, in any order: NodeName=... NodeAddr=... (one scontrol for them all).
        var address: [String: String] = [:]
        for line in try scontrol(["show", "node", "-o", nodeList]).split(separator: "\n") {
            let fields = Dictionary(line.split(separator: " ").compactMap { field -> (String, String)? in
                let pair = field.split(separator: "=", maxSplits: 1)
                return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
            }, uniquingKeysWith: { first, _ in first })
            if let name = fields["NodeName"] { address[name] = fields["NodeAddr"] }
        }
        return Hostfile(hosts: zip(names, tasks).map { Hostfile.Host(name: address[$0] ?? $0, slots: $1) })
    }

    /// `2(x3),1` -> [2, 2, 2, 1].
    public static func tasksPerNode(_ text: String) throws -> [Int] {
        try text.split(separator: ",").flatMap { part -> [Int] in
            let pieces = part.split(separator: "(")
            guard let n = Int(pieces[0]), n >= 1 else { throw LaunchError("SLURM_TASKS_PER_NODE=\(text): not understood") }
            guard pieces.count == 2 else { return [n] }
            guard pieces[1].hasPrefix("x"), pieces[1].hasSuffix(")"), let times = Int(pieces[1].dropFirst().dropLast()) else {
                throw LaunchError("SLURM_TASKS_PER_NODE=\(text): not understood")
            }
            return Array(repeating: n, count: times)
        }
    }

    private static func scontrol(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["scontrol"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw LaunchError("Slurm allocation: cannot run scontrol (\(error))") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw LaunchError("Slurm allocation: scontrol \(arguments.joined(separator: " ")) failed (\(process.terminationStatus))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
