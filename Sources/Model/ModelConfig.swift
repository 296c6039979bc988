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

    public func validate() throws {
        func positive(_ name: String, _ value: Int) throws {
            if value <= 0 { throw InvalidConfig(description: "\(name) must be > 0, got \(value)") }
        }
        try positive("dim", dim); try positive("nLayers", nLayers); try positive("nHeads", nHeads)
        try positive("nKVHeads", kvHeads); try positive("vocabSize", vocabSize)
        try positive("multipleOf", multipleOf); try positive("maxSeqLen", maxSeqLen)
        if !(normEps > 0) { throw InvalidConfig(description: "normEps must be > 0, got \(normEps)") }
        if !(ropeTheta > 0) { throw InvalidConfig(description: "ropeTheta must be > 0, got \(ropeTheta)") }
        if let m = ffnDimMultiplier, !(m > 0) {
            throw InvalidConfig(description: "ffnDimMultiplier must be > 0, got \(m)")
        }
        if dim % nHeads != 0 {
            throw InvalidConfig(description: "dim (\(dim)) must be divisible by nHeads (\(nHeads))")
        }
        if nHeads % kvHeads != 0 {
            throw InvalidConfig(description: "nHeads (\(nHeads)) must be divisible by nKVHeads (\(kvHeads))")
        }
        if headDim % 2 != 0 {
            throw InvalidConfig(description: "headDim (dim / nHeads = \(headDim)) must be even for RoPE")
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
