import RunSpec

/// A specification written out as the arguments `meshtop-rank` parses back into it: `--mesh`
/// first, then every option whose value differs from the default run's (the flavor's own
/// dimensions, the shipped data), in the order `--help` lists them. The one place that says how
/// each option travels to the ranks; OptionTravelTests walks every option through it and back.
public enum RankArguments {
    public static func of(_ spec: RunSpecification) -> [String] {
        written(spec).flatMap { [$0.flag] + ($0.value.map { [$0] } ?? []) }
    }

    /// The same as flags with their values (nil for a bare flag), for writers of other forms
    /// (a --config file) that must not parse an argument list back.
    public static func written(_ spec: RunSpecification) -> [(flag: String, value: String?)] {
        let baseline = defaults(flavor: spec.flavor)
        var written: [(flag: String, value: String?)] = [("--mesh", spec.mesh.description)]
        for option in options {
            let value = option.value(spec)
            guard value != option.value(baseline) else { continue }
            switch value {
            case .absent: break
            case .flag: written.append((option.flag, nil))
            case .value(let text): written.append((option.flag, text))
            }
        }
        return written
    }

    /// How an option appears: not at all, as a bare flag, or with a value.
    enum Written: Equatable {
        case absent, flag, value(String)
    }

    struct Option: Sendable {
        let flag: String
        let value: @Sendable (RunSpecification) -> Written

        init(_ flag: String, _ value: @escaping @Sendable (RunSpecification) -> Written) {
            self.flag = flag
            self.value = value
        }

        /// An option whose value is a field, written as Swift prints it.
        init<T>(_ flag: String, _ field: KeyPath<RunSpecification, T> & Sendable) {
            self.init(flag) { spec in .value("\(spec[keyPath: field])") }
        }

        /// An optional field: absent when nil.
        init<T>(_ flag: String, _ field: KeyPath<RunSpecification, T?> & Sendable) {
            self.init(flag) { spec in spec[keyPath: field].map { .value("\($0)") } ?? .absent }
        }
    }

    /// Every option of a run but the mesh, in ModelOptions, TrainingOptions, CheckpointOptions order.
    static let options: [Option] = [
        Option("--flavor", \.flavor),
        Option("--dim", \.model.dim),
        Option("--n-layers", \.model.nLayers),
        Option("--n-heads", \.model.nHeads),
        Option("--n-kv-heads", \.model.nKVHeads),
        Option("--vocab-size", \.model.vocabSize),
        Option("--seq-len", \.seqLen),
        Option("--local-batch-size", \.localBatchSize),
        Option("--grad-accum", \.gradAccum),
        Option("--steps", \.steps),
        Option("--seed", \.seed),
        Option("--lr", \.optimizer.lr),
        Option("--warmup-steps", \.warmupSteps),
        Option("--decay-ratio", \.decayRatio),
        Option("--min-lr-factor", \.minLRFactor),
        Option("--max-norm", \.maxNorm),
        Option("--weight-decay", \.optimizer.weightDecay),
        Option("--data", \.dataPath),
        Option("--tokenizer", \.tokenizerPath),
        Option("--dump-folder", \.dumpFolder),
        Option("--init-weights", \.initWeights),
        Option("--save-weights", \.saveWeights),
        Option("--threads", \.threads),
        Option("--log-freq", \.logFreq),
        Option("--bucket-mb", \.bucketMB),
        Option("--no-reshard-after-forward") { $0.reshardAfterForward ? .absent : .flag },
        Option("--peak-tflops", \.peakTFLOPS),
        Option("--debug-slow-rank", \.debugSlowRank),
        Option("--debug-stall-rank", \.debugStallRank),
        Option("--checkpoint-dir", \.checkpointDir),
        Option("--checkpoint-every", \.checkpointEvery),
        Option("--keep-checkpoints", \.keepCheckpoints),
        Option("--resume") { $0.resume == .latest ? .flag : .absent },
        Option("--resume-step") { spec in
            if case let .step(n)? = spec.resume { return .value(String(n)) }
            return .absent
        },
        Option("--resume-latest-valid") { $0.resume == .latestValid ? .flag : .absent },
    ]

    /// What each option is compared with: the run of no options, but with the dimensions of
    /// `flavor` (an override is what differs from its own flavor; the flavor from debugmodel).
    static func defaults(flavor: String) -> RunSpecification {
        var spec = RunSpecification(dataPath: (try? ShippedData.path(ShippedData.corpus)) ?? "",
                                    tokenizerPath: (try? ShippedData.path(ShippedData.tokenizer)) ?? "")
        if let model = try? ModelConfig.flavor(flavor) { spec.model = model }
        return spec
    }
}
