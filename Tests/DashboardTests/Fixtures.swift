import Foundation
import Dashboard
import RunSpec
import Telemetry

/// Recorded runs with deterministic numbers: the events a dashboard receives, built here so the
/// snapshots do not depend on a real run's timing.
enum Fixtures {
    static let start = 1_780_000_000.0

    static func hello(replicate: Int, shard: Int, steps: Int, time: Double) -> DashboardInput {
        let world = replicate * shard
        let strategy = world == 1 ? "single" : shard == 1 ? "replicate" : replicate == 1 ? "fsdp" : "hsdp"
        let config = RunConfig(steps: steps, seqLen: 256, localBatchSize: 8, globalBatchSize: 8 * replicate * shard,
                               gradAccum: 1, warmupSteps: 2, lr: 8e-4, maxNorm: 1, seed: 0, threads: 1,
                               dataPath: "data/tinyshakespeare.txt", tokenizerPath: "data/tokenizer.json")
        let ranks = (0 ..< world).map { RankIdentity(rank: $0, host: "node\($0 / 4)", pid: Int32(4000 + $0), hostMemoryBytes: 1 << 34) }
        let model = ModelSummary(flavor: "debugmodel", dim: 256, nLayers: 6, nHeads: 16, nKVHeads: 16, vocabSize: 2000, parameters: 6_139_136)
        let peak = PeakInfo(flops: 8.96e10, source: "cached", detail: "sgemm 512x768x256 on one core x 1 thread(s)",
                            measuredAt: start - 7200)
        return record(time, .hello(Hello(config: config, mesh: MeshLayout(replicate: replicate, shard: shard, strategy: strategy),
                                         model: model, flopsPerToken: 1.3e7, peak: peak, ranks: ranks)))
    }

    /// The loss of `step` on a smooth decay with a deterministic wobble; `offset` shifts a resumed run.
    static func loss(_ step: Int, offset: Double = 0) -> Double {
        6.5 + 1.6 * exp(-Double(step) / 8) + 0.12 * sin(Double(step) * 1.7) + offset
    }

    static func rankStep(_ rank: Int, step: Int, shard: Int) -> RankStep {
        let total = 1.0 + 0.013 * Double(rank % 17) + 0.002 * Double(step % 5)
        let wait = shard > 1 ? 0.18 + 0.004 * Double(rank % 7) : 0.05
        let memory = ["parameters": 24_556_544 / shard, "gathered_parameters": shard > 1 ? 6_291_456 : 0,
                      "gradients": 24_556_544 / shard, "optimizer": 49_113_088 / shard, "activations": 120_586_240,
                      "communication": 8_388_608, "scratch": 12_582_912]
        let comm = shard > 1
            ? ["all_gather": CollectiveFigures(bytes: 36_000_000, calls: 16, waitSeconds: wait * 0.6),
               "reduce_scatter": CollectiveFigures(bytes: 18_000_000, calls: 8, waitSeconds: wait * 0.4)]
            : ["all_reduce": CollectiveFigures(bytes: 24_556_544, calls: 6, waitSeconds: wait)]
        // GEMMs: 90% of the compute, executing 1/1.114 of the model's FLOPs (as the debugmodel's at seq_len 256)
        let gemm = 0.9 * (total - wait - 0.06), gemmFlops = 2048 * 1.3e7 / 1.114
        let split = MFUSplit(modelFlops: 2048 * 1.3e7, stepSeconds: total, peakFlops: 8.96e10, gemmSeconds: gemm,
                             gemmFlops: gemmFlops, waitSeconds: wait).map(MFUSplitFigures.init)
        return RankStep(rank: rank, tokens: 2048, seconds: StepSeconds(total: total, data: 0.01, compute: total - wait - 0.06,
                                                                       communication: wait, optimizer: 0.05, gemm: gemm),
                        tokensPerSecond: 2048 / total, tflops: 2048 / total * 1.3e7 / 1e12, mfu: 2048 / total * 1.3e7 / 8.96e10 * 100,
                        communication: comm, memory: memory, residentBytes: 290_000_000 + rank * 1_048_576,
                        peakResidentBytes: 310_000_000 + rank * 1_048_576, gemmFlops: gemmFlops, mfuSplit: split)
    }

    static func step(_ step: Int, world: Int, shard: Int, time: Double, lossOffset: Double = 0) -> DashboardInput {
        let ranks = (0 ..< world).map { rankStep($0, step: step, shard: shard) }
        let lr = 8e-4 * min(1, Double(step) / 2)
        return record(time, .step(Step(step: step, loss: loss(step, offset: lossOffset), gradNorm: 0.7 + 0.1 * cos(Double(step)), lr: lr, ranks: ranks)))
    }

    static func record(_ time: Double, _ event: Event) -> DashboardInput { .record(TelemetryRecord(time: time, event: event)) }

    /// A (2, 2) run planned for 40 steps, 24 done, checkpoints at 10 and 20, a warning of rank 3.
    static func smallRun() -> [DashboardInput] {
        var inputs: [DashboardInput] = [.launcher("mpirun -np 4 meshtop-rank --mesh 2x2"), hello(replicate: 2, shard: 2, steps: 40, time: start)]
        inputs.append(record(start, .log(LogLine(message: "Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [2, 2]"))))
        for n in 1 ... 24 {
            let time = start + 1.2 * Double(n)
            inputs.append(step(n, world: 4, shard: 2, time: time))
            inputs.append(record(time, .log(LogLine(message: "step: \(n)  loss: \(String(format: "%.5f", loss(n)))"))))
            if n % 10 == 0 { inputs.append(record(time + 0.3, .checkpoint(Checkpoint(step: n, path: "ckpt/step-\(n)", bytes: 98_000_000, seconds: 0.3)))) }
        }
        inputs.append(record(start + 25, .warning(Notice(message: "step time 40% above the median", rank: 3, step: 17))))
        inputs.append(record(start + 25, .log(LogLine(message: "a line of rank 1, not shown", rank: 1))))
        return inputs
    }

    /// 512 ranks on (8, 64): every rank's figures in every step.
    static func bigMesh() -> [DashboardInput] {
        var inputs = [hello(replicate: 8, shard: 64, steps: 100, time: start)]
        for n in 1 ... 30 { inputs.append(step(n, world: 512, shard: 64, time: start + 2 * Double(n))) }
        return inputs
    }

    /// (2, 2) to step 16 (checkpoint at 12), then a relaunch on (4, 1) resuming from step 12:
    /// steps 13-16 come again (a little different) and the run goes on to 30.
    static func resumedRun() -> [DashboardInput] {
        var inputs = [hello(replicate: 2, shard: 2, steps: 30, time: start)]
        for n in 1 ... 16 {
            inputs.append(step(n, world: 4, shard: 2, time: start + Double(n)))
            if n == 12 { inputs.append(record(start + 12.5, .checkpoint(Checkpoint(step: 12, path: "ckpt/step-12", bytes: 98_000_000, seconds: 0.5)))) }
        }
        inputs.append(.phase(.relaunching))
        inputs.append(.launcher("relaunching on [4, 1] from the checkpoint of step 12"))
        inputs.append(hello(replicate: 4, shard: 1, steps: 30, time: start + 20))
        for n in 13 ... 30 { inputs.append(step(n, world: 4, shard: 1, time: start + 20 + Double(n - 12), lossOffset: 0.01)) }
        return inputs
    }

    static func state(_ inputs: [DashboardInput]) -> DashboardState {
        var state = DashboardState()
        for input in inputs { state.apply(input) }
        return state
    }
}
