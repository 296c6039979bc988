import Dashboard
import Telemetry

/// Recorded inputs and fixed predictions for the picker's tests: a run that used (2, 2) then
/// (4, 1), and hand-made candidates for 4 and 2 ranks (figures of the debugmodel's size).
enum MeshPickerFixtures {
    /// (2, 2) to step 12, a switch by the picker to (4, 1) that took 2.4 s, then steps 13-20.
    static func twoMeshRun() -> [DashboardInput] {
        let start = Fixtures.start
        var inputs = [Fixtures.hello(replicate: 2, shard: 2, steps: 40, time: start)]
        for n in 1 ... 12 { inputs.append(Fixtures.step(n, world: 4, shard: 2, time: start + Double(n))) }
        // The phases as Launcher.Job reports them: resharding once the new ranks said hello.
        inputs += [.switchRequested(replicate: 4, shard: 1), .phase(.checkpointing), .phase(.relaunching),
                   Fixtures.hello(replicate: 4, shard: 1, steps: 40, time: start + 14), .phase(.resharding)]
        for n in 13 ... 20 {
            inputs.append(Fixtures.step(n, world: 4, shard: 1, time: start + 14 + Double(n - 12)))
            if n == 13 { inputs.append(.switched(replicate: 4, shard: 1, seconds: 2.4)) }
        }
        return inputs
    }

    static func candidate(_ replicate: Int, _ shard: Int, best: Bool = false, least: Bool = false) -> MeshCandidate {
        let local = 24_556_544 / shard
        let memory = ["parameters": local, "gathered_parameters": shard > 1 ? 2 * 4_202_496 : 0, "gradients": local,
                      "optimizer": 2 * local, "activations": 120_586_240,
                      "communication": shard > 1 ? 4_202_496 + 4_202_496 / shard : (replicate > 1 ? local : 0),
                      "scratch": 12_582_912]
        var sent: [String: Int] = [:]
        if shard > 1 {
            sent["all_gather"] = 36_000_000 * (shard - 1) / shard
            sent["reduce_scatter"] = 24_000_000 * (shard - 1) / shard
        }
        if replicate > 1 { sent["all_reduce"] = 2 * local * (replicate - 1) / replicate }
        return MeshCandidate(replicate: replicate, shard: shard, memory: memory,
                             residentBytes: memory.values.reduce(0, +) + 48_234_496, bytesSent: sent,
                             bestMemory: best, leastCommunication: least)
    }

    /// The three meshes of 4 ranks, and the two of 2.
    static let fourRanks = [candidate(4, 1, least: true), candidate(2, 2), candidate(1, 4, best: true)]
    static let twoRanks = [candidate(2, 1, least: true), candidate(1, 2, best: true)]

    static func state(_ inputs: [DashboardInput] = twoMeshRun()) -> DashboardState { Fixtures.state(inputs) }

    /// The picker open on `worldSize` ranks with `selected` chosen, `--max-np` 4.
    static func view(worldSize: Int, selected: Int, candidates: [MeshCandidate]) -> ViewState {
        var view = ViewState()
        view.overlay = .meshPicker
        view.picker = MeshPickerView(worldSize: worldSize, maxWorldSize: 4, selected: selected, candidates: candidates)
        return view
    }
}
