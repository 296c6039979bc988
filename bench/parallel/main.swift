// Data-parallel throughput on this machine: for each mesh, runs meshtop-rank under mpirun
// (debugmodel, seq_len 256, local batch 8, 1 BLAS thread per rank) and reports, from its
// metrics file, tokens/s over all ranks, the share of the step spent waiting on communication,
// and the peak resident memory per rank. Figures for the notes, not a test.
//
// Usage: bench-parallel [steps] [mesh:ranks ...]   (default: 8 steps; 2x1:2 1x2:2 2x2:4)
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let steps = arguments.first.flatMap(Int.init) ?? 8
let meshes = arguments.dropFirst(arguments.first.flatMap(Int.init) == nil ? 0 : 1)
let runs = (meshes.isEmpty ? ["2x1:2", "1x2:2", "2x2:4"] : Array(meshes)).map { spec -> (String, Int) in
    let parts = spec.split(separator: ":")
    return (String(parts[0]), Int(parts[1]) ?? 2)
}
let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    .appendingPathComponent("meshtop-rank").path
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-bench-parallel")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)

func run(_ argv: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

print("mesh  ranks  tokens/s (all ranks)  waiting % of step  peak RSS/rank MiB")
for (mesh, ranks) in runs {
    let metrics = folder.appendingPathComponent("metrics-\(mesh).jsonl").path
    var argv = ["mpirun", "-q", "-np", String(ranks), "--oversubscribe", "-x", "OPENBLAS_NUM_THREADS=1"]
    if getuid() == 0 { argv.append("--allow-run-as-root") }
    argv += [binary, "--mesh", mesh, "--steps", String(steps), "--threads", "1",
             "--dump-folder", folder.path, "--metrics-file", metrics]
    guard try run(argv) == 0 else { print("\(mesh): the run failed"); continue }
    // Skip the first two steps (warm-up).
    let steps = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n").dropFirst(2).compactMap {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    var tokensPerSecond = 0.0, waiting = 0.0, peak = 0
    for step in steps {
        let figures = step["ranks"] as? [[String: Any]] ?? []
        var total = 0.0, wait = 0.0
        for rank in figures {
            let seconds = rank["seconds"] as? [String: Double] ?? [:]
            tokensPerSecond += Double(rank["tokens"] as? Int ?? 0) / (seconds["total"] ?? .infinity)
            total += seconds["total"] ?? 0
            wait += seconds["communication"] ?? 0
            peak = max(peak, rank["peakResidentBytes"] as? Int ?? 0)
        }
        waiting += total > 0 ? wait / total : 0
    }
    let n = Double(max(steps.count, 1))
    print(String(format: "%-5@ %5d  %20.0f  %17.1f  %17.0f", mesh, ranks, tokensPerSecond / n, 100 * waiting / n,
                 Double(peak) / 1_048_576))
}
