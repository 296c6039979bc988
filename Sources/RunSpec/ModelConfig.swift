/// Hyper-parameters of a torchtitan llama3 flavor (see shared/notes/torchtitan.md).
public struct ModelConfig: Codable, Equatable, Sendable {
    public var dim: Int
    public var nLayers: Int
    public var nHeads: Int
    /// nil means nHeads (no grouped-query attention).
    public var nKVHeads: Int?
    public var vocabSize: Int
    public var multipleOf: Int
    public var ffnDimMultiplier: Double?
    public var normEps: Float
    public var ropeTheta: Double
    public var maxSeqLen: Int

    public init(dim: Int, nLayers: Int, nHeads: Int, nKVHeads: Int? = nil, vocabSize: Int,
                multipleOf: Int, ffnDimMultiplier: Double? = nil, normEps: Float = 1e-5,
                ropeTheta: Double = 500000, maxSeqLen: Int = 2048) {
        self.dim = dim; self.nLayers = nLayers; self.nHeads = nHeads; self.nKVHeads = nKVHeads
        self.vocabSize = vocabSize; self.multipleOf = multipleOf; self.ffnDimMultiplier = ffnDimMultiplier
        self.normEps = normEps; self.ropeTheta = ropeTheta; self.maxSeqLen = maxSeqLen
    }

    /// torchtitan's llama3 debugmodel (the 2025 one: vocab 2000, separate wq/wk/wv): 6,139,136 parameters.
    public static let debugmodel = ModelConfig(dim: 256, nLayers: 6, nHeads: 16, nKVHeads: nil, vocabSize: 2000,
                                               multipleOf: 256, ffnDimMultiplier: nil, normEps: 1e-5,
                                               ropeTheta: 500000, maxSeqLen: 2048)

    /// A small flavor for tests; 2 KV heads for 4 query heads so grouped-query attention is exercised.
    public static let tiny = ModelConfig(dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 2, vocabSize: 2000,
                                         multipleOf: 32, ffnDimMultiplier: nil, normEps: 1e-5,
                                         ropeTheta: 500000, maxSeqLen: 256)

    public static let flavorNames = ["debugmodel", "tiny"]

    public struct UnknownFlavor: Error, CustomStringConvertible {
        public let name: String
        public var description: String {
            "unknown model flavor '\(name)'; known flavors: \(ModelConfig.flavorNames.joined(separator: ", "))"
        }
    }

    public struct InvalidConfig: Error, CustomStringConvertible {
        public let description: String
    }

    public static func flavor(_ name: String) throws -> ModelConfig {
        switch name {
        case "debugmodel": return .debugmodel
        case "tiny": return .tiny
        default: throw UnknownFlavor(name: name)
        }
    }

    public var headDim: Int { dim / nHeads }
    public var kvHeads: Int { nKVHeads ?? nHeads }
    /// Width of the key (and of the value) projection: kvHeads * headDim.
    public var kvDim: Int { kvHeads * headDim }

    /// torchtitan: hidden = int(2 * 4dim / 3), times ffn_dim_multiplier if set, rounded up to multiple_of.
    public var ffnHidden: Int {
        var hidden = (2 * (4 * dim)) / 3
        if let m = ffnDimMultiplier { hidden = Int(m * Double(hidden)) }
        return multipleOf * ((hidden + multipleOf - 1) / multipleOf)
    }

    /// Refuses an impossible architecture, naming each field as torchtitan's TOML does and the
    /// option that sets it.
    public func validate() throws {
        func refuse(_ text: String) -> InvalidConfig { InvalidConfig(description: "model: " + text) }
        func positive(_ name: String, _ option: String, _ value: Int) throws {
            if value <= 0 { throw refuse("\(name) \(value) (\(option)) must be at least 1") }
        }
        try positive("dim", "--dim", dim); try positive("n_layers", "--n-layers", nLayers)
        try positive("n_heads", "--n-heads", nHeads); try positive("n_kv_heads", "--n-kv-heads", kvHeads)
        try positive("vocab_size", "--vocab-size", vocabSize)
        try positive("multiple_of", "the flavor", multipleOf); try positive("max_seq_len", "the flavor", maxSeqLen)
        if !(normEps > 0) { throw refuse("norm_eps \(normEps) must be positive") }
        if !(ropeTheta > 0) { throw refuse("rope_theta \(ropeTheta) must be positive") }
        if let m = ffnDimMultiplier, !(m > 0) { throw refuse("ffn_dim_multiplier \(m) must be positive") }
        if dim % nHeads != 0 {
            throw refuse("dim \(dim) (--dim) must be divisible by n_heads \(nHeads) (--n-heads)")
        }
        if nHeads % kvHeads != 0 {
            throw refuse("n_heads \(nHeads) (--n-heads) must be divisible by n_kv_heads \(kvHeads) (--n-kv-heads)")
        }
        if headDim % 2 != 0 {
            throw refuse("the head width dim / n_heads = \(headDim) must be even for RoPE (--dim, --n-heads)")
        }
    }

    public var embeddingParameterCount: Int { vocabSize * dim }

    public var parametersPerLayer: Int {
        dim * dim * 2 + 2 * kvDim * dim + 3 * dim * ffnHidden + 2 * dim
    }

    public var parameterCount: Int {
        embeddingParameterCount + nLayers * parametersPerLayer + dim + vocabSize * dim
    }

    /// torchtitan: 6 * (N - N_emb) + 6 * n_layers * n_heads * (2 * head_dim) * seq_len.
    public func flopsPerToken(seqLen: Int) -> Double {
        let n = Double(parameterCount - embeddingParameterCount)
        return 6 * n + 6 * Double(nLayers) * Double(nHeads) * Double(2 * headDim) * Double(seqLen)
    }
}
