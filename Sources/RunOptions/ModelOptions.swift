import ArgumentParser
import RunSpec

/// Overrides of the flavor's architecture.
public struct ModelOptions: ParsableArguments {
    @Option(help: "Model flavor: debugmodel (6,139,136 parameters) or tiny (for tests).")
    public var flavor = "debugmodel"
    @Option(parsing: .unconditional, help: "Model width (overrides the flavor).") public var dim: Int?
    @Option(name: .customLong("n-layers"), parsing: .unconditional, help: "Transformer blocks.") public var nLayers: Int?
    @Option(name: .customLong("n-heads"), parsing: .unconditional, help: "Attention heads.") public var nHeads: Int?
    @Option(name: .customLong("n-kv-heads"), parsing: .unconditional, help: "Key/value heads (grouped-query attention); default n-heads.")
    public var nKVHeads: Int?
    @Option(name: .customLong("vocab-size"), parsing: .unconditional, help: "Vocabulary size of the embedding and output.") public var vocabSize: Int?

    public init() {}

    public func resolve() throws -> (name: String, config: ModelConfig) {
        var config = try ModelConfig.flavor(flavor)
        if let dim { config.dim = dim }
        if let nLayers { config.nLayers = nLayers }
        if let nHeads { config.nHeads = nHeads }
        if let nKVHeads { config.nKVHeads = nKVHeads }
        if let vocabSize { config.vocabSize = vocabSize }
        try config.validate()
        return (flavor, config)
    }
}
