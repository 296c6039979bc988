import ModelShape
import RunSpec

/// The model's FLOPs per token (`ModelConfig.flopsPerToken`: 6 per non-embedding parameter and
/// the attention's 12 x heads x head_dim x seq_len per layer) split by FSDP unit and by pass:
/// what the step's timeline charges each unit's forward and backward. A layer's backward does
/// twice its forward's products; the embedding is a lookup (no FLOPs); the output unit runs all
/// of its products in the forward, since the model computes the output layer's gradients there.
struct UnitCompute {
    /// FLOPs per token of each unit's forward and backward.
    let forward: [Double]
    let backward: [Double]

    init(model: ModelConfig, seqLen: Int) {
        let layout = ParameterLayout(config: model)
        let attention = 12 * Double(model.nHeads * model.headDim * seqLen)
        let last = layout.units.count - 1
        var forward: [Double] = [], backward: [Double] = []
        for (index, unit) in layout.units.enumerated() {
            let products = 6 * Double(unit.range.count)
            switch index {
            case 0: forward.append(0); backward.append(0)
            case last: forward.append(products); backward.append(0)
            default:
                forward.append((products + attention) / 3)
                backward.append(2 * (products + attention) / 3)
            }
        }
        self.forward = forward
        self.backward = backward
    }

    var total: Double { forward.reduce(0, +) + backward.reduce(0, +) }
}
