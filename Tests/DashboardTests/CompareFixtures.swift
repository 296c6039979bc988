import Compare
import Foundation
import Telemetry

/// Constructed runs for the compare view's snapshots: deterministic curves of 40 steps.
enum CompareFixtures {
    static let replicate4 = MeshLayout(replicate: 4, shard: 1, strategy: "replicate")
    static let hsdp22 = MeshLayout(replicate: 2, shard: 2, strategy: "hsdp")
    static let fsdp14 = MeshLayout(replicate: 1, shard: 4, strategy: "fsdp")

    static func loss(_ step: Int, seed: Double = 0) -> Double {
        6.5 + 1.6 * exp(-Double(step) / 8) + 0.12 * sin(Double(step) * 1.7 + seed)
    }

    static func gradNorm(_ step: Int, seed: Double = 0) -> Double { 0.7 + 0.3 * exp(-Double(step) / 6) + 0.1 * cos(Double(step) + seed) }

    /// 40 steps of 1,024 tokens; `lossAt` and `normAt` change the values.
    static func run(_ name: String, _ mesh: MeshLayout, steps: Int = 40, lossAt: (Int) -> Double = { loss($0) },
                    normAt: (Int) -> Double = { gradNorm($0) }) -> RunCurve {
        RunCurve(name: name, meshes: [mesh], points: (1 ... steps).map {
            CurvePoint(step: $0, tokens: $0 * 1024, loss: lossAt($0), gradNorm: normAt($0))
        })
    }

    /// The reference, the same run on (2, 2) within 1e-5 (a few ulps of rounding), another seed.
    static func threeRuns() -> Comparison {
        Comparison(runs: [
            run("4x1.jsonl", replicate4),
            run("2x2.jsonl", hsdp22, lossAt: { loss($0) * (1 + 2e-7 * sin(Double($0))) }),
            run("seed1.jsonl", hsdp22, lossAt: { loss($0, seed: 1) + 0.05 }, normAt: { gradNorm($0, seed: 2) }),
        ], rtol: 1e-5)
    }

    /// Every verdict: identical, another seed, a grad norm 4 times the reference's, an
    /// optimizer change that parts at step 12, and a shorter run.
    static func fiveRuns() -> Comparison {
        Comparison(runs: [
            run("4x1.jsonl", replicate4),
            run("2x2.jsonl", hsdp22, lossAt: { loss($0) * (1 + 2e-7 * sin(Double($0))) }),
            run("seed1.jsonl", hsdp22, lossAt: { loss($0, seed: 1) + 0.05 }, normAt: { gradNorm($0, seed: 2) }),
            run("1x4.jsonl", fsdp14, normAt: { gradNorm($0) * 4 }),
            run("lr.jsonl", replicate4, steps: 30, lossAt: { $0 < 12 ? loss($0) : loss($0) - 0.004 * Double($0 - 11) }),
        ], rtol: 1e-5)
    }
}
