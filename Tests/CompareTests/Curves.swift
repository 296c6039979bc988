import Compare
import Telemetry

/// Constructed curves for the tests: a loss and grad norm per step, 256 tokens a step.
enum Curves {
    static func curve(_ name: String = "run.jsonl", mesh: MeshLayout? = nil, steps: [Int]? = nil,
                      loss: [Double], gradNorm: [Double]? = nil, tokensPerStep: Int = 256) -> RunCurve {
        let numbers = steps ?? Array(1 ... loss.count)
        let norms = gradNorm ?? loss.map { $0 / 10 }
        let points = numbers.indices.map { i in
            CurvePoint(step: numbers[i], tokens: numbers[i] * tokensPerStep, loss: loss[i], gradNorm: norms[i])
        }
        return RunCurve(name: name, meshes: mesh.map { [$0] } ?? [], points: points)
    }

    static let replicate4 = MeshLayout(replicate: 4, shard: 1, strategy: "replicate")
    static let hsdp22 = MeshLayout(replicate: 2, shard: 2, strategy: "hsdp")
    static let fsdp4 = MeshLayout(replicate: 1, shard: 4, strategy: "fsdp")

    /// A falling loss, and a grad norm that moves around (so a ratio is not constant by accident).
    static let loss: [Double] = [7.6, 7.1, 6.8, 6.5, 6.3, 6.1, 5.95, 5.8]
    static let gradNorm: [Double] = [1.2, 0.9, 1.4, 0.8, 0.75, 0.7, 0.66, 0.61]

    /// `values` with the relative change `by` from index `from` on.
    static func nudged(_ values: [Double], from: Int, by: Double) -> [Double] {
        values.enumerated().map { $0.offset >= from ? $0.element * (1 + by) : $0.element }
    }

    static func step(_ n: Int, loss: Double, gradNorm: Double = 1, tokens: [Int] = [128, 128]) -> Telemetry.Step {
        Telemetry.Step(step: n, loss: loss, gradNorm: gradNorm, lr: 1e-3, ranks: tokens.enumerated().map { rank, t in
            RankStep(rank: rank, tokens: t, seconds: StepSeconds(), tokensPerSecond: 0, tflops: 0, mfu: 0,
                     communication: [:], memory: [:], residentBytes: 0, peakResidentBytes: 0)
        })
    }
}
