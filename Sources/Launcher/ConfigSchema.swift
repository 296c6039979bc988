/// The torchtitan keys meshtop reads from a `--config` file, section by section (torchtitan's
/// 2025 JobConfig, with a few older names it still finds in files). Anything else in a file is
/// listed in one warning: meshtop ignores it.
struct ConfigKey {
    enum Kind { case int, double, string, bool }

    enum Use {
        /// The value becomes this option of `meshtop run`.
        case option(String)
        /// What meshtop always does; another value is listed as ignored.
        case expect(ConfigValue)
        /// Read by `ConfigFile`'s own code (the mesh, checkpoints, data and tokenizer).
        case handled
        /// Describes the run; changes nothing.
        case note
    }

    var name: String
    var kind: Kind
    var use: Use

    init(_ name: String, _ kind: Kind, _ use: Use) {
        self.name = name
        self.kind = kind
        self.use = use
    }
}

enum ConfigSchema {
    static let sections: [(name: String, keys: [ConfigKey])] = [
        ("job", [ConfigKey("dump_folder", .string, .option("--dump-folder")),
                 ConfigKey("description", .string, .note)]),
        ("model", [ConfigKey("name", .string, .expect(.string("llama3"))),
                   ConfigKey("flavor", .string, .option("--flavor")),
                   ConfigKey("hf_assets_path", .string, .handled),
                   ConfigKey("tokenizer_path", .string, .handled),  // before hf_assets_path (mid 2025)
                   ConfigKey("dim", .int, .option("--dim")),
                   ConfigKey("n_layers", .int, .option("--n-layers")),
                   ConfigKey("n_heads", .int, .option("--n-heads")),
                   ConfigKey("n_kv_heads", .int, .option("--n-kv-heads")),
                   ConfigKey("vocab_size", .int, .option("--vocab-size"))]),
        ("optimizer", [ConfigKey("name", .string, .expect(.string("AdamW"))),
                       ConfigKey("lr", .double, .option("--lr")),
                       ConfigKey("eps", .double, .expect(.double(1e-8))),
                       ConfigKey("beta1", .double, .expect(.double(0.9))),
                       ConfigKey("beta2", .double, .expect(.double(0.95))),
                       ConfigKey("weight_decay", .double, .option("--weight-decay"))]),
        ("lr_scheduler", [ConfigKey("warmup_steps", .int, .option("--warmup-steps")),
                          ConfigKey("decay_ratio", .double, .option("--decay-ratio")),
                          ConfigKey("decay_type", .string, .expect(.string("linear"))),
                          ConfigKey("min_lr_factor", .double, .option("--min-lr-factor")),
                          ConfigKey("lr_min", .double, .option("--min-lr-factor"))]),  // its name until mid 2025
        ("training", [ConfigKey("local_batch_size", .int, .option("--local-batch-size")),
                      ConfigKey("batch_size", .int, .option("--local-batch-size")),  // its name until mid 2025
                      ConfigKey("global_batch_size", .int, .expect(.int(-1))),
                      ConfigKey("seq_len", .int, .option("--seq-len")),
                      ConfigKey("gradient_accumulation_steps", .int, .option("--grad-accum")),
                      ConfigKey("steps", .int, .option("--steps")),
                      ConfigKey("warmup_steps", .int, .option("--warmup-steps")),  // in [training] until 2025
                      ConfigKey("max_norm", .double, .option("--max-norm")),
                      ConfigKey("seed", .int, .option("--seed")),
                      ConfigKey("dataset", .string, .handled),
                      ConfigKey("dataset_path", .string, .option("--data")),
                      ConfigKey("threads", .int, .option("--threads"))]),
        ("parallelism", [ConfigKey("data_parallel_replicate_degree", .int, .handled),
                         ConfigKey("data_parallel_shard_degree", .int, .handled),
                         ConfigKey("fsdp_reshard_after_forward", .string, .handled),
                         ConfigKey("tensor_parallel_degree", .int, .handled),
                         ConfigKey("pipeline_parallel_degree", .int, .handled),
                         ConfigKey("context_parallel_degree", .int, .handled),
                         ConfigKey("expert_parallel_degree", .int, .handled),
                         ConfigKey("enable_async_tensor_parallel", .bool, .expect(.bool(false)))]),
        ("checkpoint", [ConfigKey("enable", .bool, .handled),
                        ConfigKey("enable_checkpoint", .bool, .handled),  // its name until mid 2025
                        ConfigKey("folder", .string, .handled),
                        ConfigKey("interval", .int, .handled),
                        ConfigKey("keep_latest_k", .int, .handled),
                        ConfigKey("load_step", .int, .handled)]),
        ("metrics", [ConfigKey("log_freq", .int, .option("--log-freq")),
                     ConfigKey("file", .string, .option("--metrics-file"))]),
        // meshtop's options that torchtitan has no key for, so that any run can be a file.
        ("meshtop", [ConfigKey("bucket_mb", .double, .option("--bucket-mb")),
                     ConfigKey("peak_tflops", .double, .option("--peak-tflops")),
                     ConfigKey("init_weights", .string, .option("--init-weights")),
                     ConfigKey("save_weights", .string, .option("--save-weights")),
                     ConfigKey("tensorboard", .string, .option("--tensorboard")),  // the front end's: event files
                     ConfigKey("on_failure", .string, .option("--on-failure")),
                     ConfigKey("max_restarts", .int, .option("--max-restarts")),
                     // fault injection for tests and demos: "R:FACTOR" and "R:STEP"
                     ConfigKey("debug_slow_rank", .string, .option("--debug-slow-rank")),
                     ConfigKey("debug_stall_rank", .string, .option("--debug-stall-rank"))]),
    ]

    /// The parallel dimensions meshtop does not have: each must be 1.
    static let otherDegrees = ["tensor_parallel_degree", "pipeline_parallel_degree", "context_parallel_degree",
                               "expert_parallel_degree"]

    /// The datasets meshtop ships (torchtitan's `training.dataset` names).
    static let shippedDatasets = ["tinyshakespeare"]
}

/// A value of a known key, of the kind the schema asks for.
enum ConfigValue: Equatable {
    case int(Int), double(Double), string(String), bool(Bool)

    /// As an option's argument.
    var text: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return "\(v)"
        case .string(let v): return v
        case .bool(let v): return String(v)
        }
    }

    /// As it would be written in the file (strings quoted).
    var shown: String {
        if case .string(let v) = self { return "\"\(v)\"" }
        return text
    }

    var int: Int? { if case .int(let v) = self { return v }; return nil }
    var string: String? { if case .string(let v) = self { return v }; return nil }
    var bool: Bool? { if case .bool(let v) = self { return v }; return nil }
}

extension ConfigFile {
    /// The options the schema's keys stand for.
    public static var optionFlags: Set<String> {
        Set(ConfigSchema.sections.flatMap(\.keys).compactMap { key in
            if case .option(let flag) = key.use { return flag }
            return nil
        })
    }
}
