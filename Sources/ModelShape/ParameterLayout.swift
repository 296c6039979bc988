import RunSpec

/// Where every tensor lives in one flat Float buffer, grouped by FSDP unit (each unit contiguous):
/// unit 0 "tok_embeddings"; units 1...L "layers.{i}" (attention.wq, wk, wv, wo, feed_forward.w1, w2, w3,
/// attention_norm, ffn_norm); unit L+1 "norm+output" (norm.weight, output.weight).
/// Linear weights are [out, in] row-major. wq, wk, wv are adjacent, so together they form one
/// [dim + 2*kvDim, dim] matrix (the model runs them as a single GEMM).
public struct ParameterLayout: Sendable {
    public struct Tensor: Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public let count: Int
        public let unit: Int
    }

    public struct Unit: Sendable {
        public let name: String
        public let range: Range<Int>
        public let tensors: [Int]
    }

    public let tensors: [Tensor]
    public let units: [Unit]
    public let count: Int

    public init(config: ModelConfig) {
        var tensors: [Tensor] = []
        var units: [Unit] = []
        var offset = 0
        func addUnit(_ name: String, _ specs: [(String, [Int])]) {
            let start = offset
            var indices: [Int] = []
            for (tensorName, shape) in specs {
                let n = shape.reduce(1, *)
                indices.append(tensors.count)
                tensors.append(Tensor(name: tensorName, shape: shape, offset: offset, count: n, unit: units.count))
                offset += n
            }
            units.append(Unit(name: name, range: start..<offset, tensors: indices))
        }
        let d = config.dim, kv = config.kvDim, f = config.ffnHidden, v = config.vocabSize
        addUnit("tok_embeddings", [("tok_embeddings.weight", [v, d])])
        for i in 0..<config.nLayers {
            let p = "layers.\(i)."
            addUnit("layers.\(i)", [
                (p + "attention.wq.weight", [d, d]),
                (p + "attention.wk.weight", [kv, d]),
                (p + "attention.wv.weight", [kv, d]),
                (p + "attention.wo.weight", [d, d]),
                (p + "feed_forward.w1.weight", [f, d]),
                (p + "feed_forward.w2.weight", [d, f]),
                (p + "feed_forward.w3.weight", [f, d]),
                (p + "attention_norm.weight", [d]),
                (p + "ffn_norm.weight", [d]),
            ])
        }
        addUnit("norm+output", [("norm.weight", [d]), ("output.weight", [v, d])])
        self.tensors = tensors
        self.units = units
        self.count = offset
    }

    public func tensor(named name: String) -> Tensor? {
        tensors.first { $0.name == name }
    }

    /// Offsets of a transformer layer's tensors relative to the start of its unit (the same for every layer).
    public struct LayerOffsets: Sendable {
        public let wq, wk, wv, wo, w1, w2, w3, attentionNorm, ffnNorm: Int
        public init(config: ModelConfig) {
            let d = config.dim, kv = config.kvDim, f = config.ffnHidden
            wq = 0; wk = d * d; wv = wk + kv * d; wo = wv + kv * d
            w1 = wo + d * d; w2 = w1 + f * d; w3 = w2 + d * f
            attentionNorm = w3 + f * d; ffnNorm = attentionNorm + d
        }
    }
}
