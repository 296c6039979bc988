import CStdio
import Foundation
import Launcher
import RunOptions
import RunSpec
import Telemetry

// bench-switch: the whole time of a mesh switch for the debugmodel, from the reconfigure request
// (the key press) to the first step event of the new mesh, and where it goes.
// Usage: bench-switch [--worst] [MESH ...]   (default: 2x1 1x2 2x1 1x2 2x1 1x2 2x1; the first is the
// starting mesh). Each generation runs 2 steps; the next switch is asked for at a random moment of
// the third (a key press at any time), or with --worst right as it starts, so the wait for the
// step boundary is a whole step. After the last mesh the job stops.

let worst = CommandLine.arguments.contains("--worst")
let given = CommandLine.arguments.dropFirst().filter { $0 != "--worst" }
let meshes = (given.isEmpty ? ["2x1", "1x2", "2x1", "1x2", "2x1", "1x2", "2x1"] : Array(given))
    .map { text -> MeshShape in
        guard let mesh = try? MeshShape.parse(text) else { fputs("bench-switch: \(text): not RxS\n", mt_stderr()); exit(2) }
        return mesh
    }
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-bench-switch-\(getpid())")
defer { try? FileManager.default.removeItem(at: folder) }
let rank = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    .appendingPathComponent("meshtop-rank").path
let receiver = try TelemetryReceiver()
let first = meshes[0]
let spec = try RunOptions.specification(parsing: [
    "--mesh", first.description, "--steps", "1000", "--peak-tflops", "0.1",
    "--checkpoint-dir", folder.appendingPathComponent("ckpt").path, "--dump-folder", folder.appendingPathComponent("out").path,
])
let plan = LaunchPlan(spec: spec, rankExecutable: rank, exportedVariables: Array(receiver.environment.keys).sorted())
let batch = GlobalBatch(localBatchSize: 8, gradAccum: 1, ranks: plan.ranks)
let job = Job(plan: plan, mesh: first, receiver: receiver) { target, _ in
    try plan.relaunched(on: target, keeping: batch, localBatchSize: 8)
}
job.say = { _ in }
job.options.output = .lines { _, _ in }  // the ranks' own lines are not the point here

/// What arrived during one generation, with this host's receipt times.
struct Generation {
    var checkpointReceived: Double?
    var loadSeconds: Double?
    var firstStepSeconds: Double?
    var steps = 0
}
var generations: [Generation] = []
job.onEvent = { record in
    let now = Date().timeIntervalSince1970
    switch record.event {
    case .hello:
        generations.append(Generation())
    case .checkpoint:
        generations[generations.count - 1].checkpointReceived = now
    case .log(let line) where line.message.hasPrefix("Loaded checkpoint"):
        // "Loaded checkpoint DIR (step N, ...) in 0.85 seconds; resuming at step N+1"
        let words = line.message.components(separatedBy: " ")
        if let i = words.firstIndex(of: "seconds;"), i > 0 { generations[generations.count - 1].loadSeconds = Double(words[i - 1]) }
    case .step(let step):
        generations[generations.count - 1].steps += 1
        let count = generations[generations.count - 1].steps
        if count == 1 { generations[generations.count - 1].firstStepSeconds = step.ranks.first?.seconds.total }
        guard count == 2 else { return }
        let next = generations.count
        if next < meshes.count {
            let delay = worst ? 0 : Double.random(in: 0 ..< (step.ranks.first?.seconds.total ?? 1))
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) {
                do { try job.reconfigure(to: meshes[next], worldSize: meshes[next].replicate * meshes[next].shard) } catch {
                    fputs("bench-switch: \(error)\n", mt_stderr())
                    receiver.send(.stop)
                }
            }
        } else {
            receiver.send(.stop)
        }
    default: break
    }
}
let status = try job.run()
receiver.close()

func f(_ x: Double?) -> String { x.map { String(format: "%6.2f", $0) } ?? "     ?" }
print("debugmodel, seq_len 256, local batch 8, 1 BLAS thread per rank, \(ProcessInfo.processInfo.activeProcessorCount) cores; "
      + "request \(worst ? "right after a step ended (worst case)" : "at a random moment of a step"); job status \(status)")
print("seconds: total = to-boundary + ckpt-write + old-exit + relaunch + to-1st-step")
print("switch      total  to-boundary  ckpt-write  old-exit  relaunch (of which read)  to-1st-step (of which the step)")
for (index, s) in job.switches.enumerated() where index + 1 < generations.count {
    let old = generations[index], new = generations[index + 1]
    let phase = Dictionary(s.phaseSeconds.map { ($0.phase, $0.seconds) }, uniquingKeysWith: { a, _ in a })
    let write = s.checkpoint?.seconds
    let relaunchStart = s.phases.count > 1 ? s.phases[1].time : nil
    // The checkpoint event leaves rank 0 when the save is done: before the save, the wait for the step to end.
    let saved = old.checkpointReceived
    let boundary = saved.flatMap { t in write.map { t - $0 - s.requested } }
    let exit = saved.flatMap { t in relaunchStart.map { $0 - t } }
    print("\(s.from.replicate)x\(s.from.shard) -> \(s.to.replicate)x\(s.to.shard)  \(f(s.seconds))  \(f(boundary))       "
          + "\(f(write))      \(f(exit))    \(f(phase[.relaunching]))  (\(f(new.loadSeconds)))         \(f(phase[.resharding]))  (\(f(new.firstStepSeconds)))")
}
let totals = job.switches.compactMap(\.seconds).sorted()
if !totals.isEmpty {
    print(String(format: "%d switches: median %.2f s, max %.2f s", totals.count, totals[totals.count / 2], totals.last!))
}
