import Foundation

/// The start-up and end lines of torchtitan that say something about the run, each read from the
/// format string in torchtitan's source (file and version beside each case); any other message
/// is none of them.
public enum TorchtitanStartupLine: Equatable, Sendable {
    /// torchtitan/distributed/parallel_dims.py. September 2025 (d240be0; v0.2.0):
    /// `f"Building {len(dims)}-D device mesh with {names}, {dims}"`, e.g.
    /// `Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [8, 1]` (a degree of 1 may be
    /// left out: absent means 1). 0.3 (since 183a0d2, 2025-12-17; v0.2.1 on):
    /// `f"Building device mesh with parallelism: pp={self.pp}, dp_replicate={self.dp_replicate}, "`
    /// `f"dp_shard={self.dp_shard}, cp={self.cp}, tp={self.tp}, ep={self.ep}"`.
    case mesh(degrees: [String: Int])
    /// torchtitan/train.py (d240be0): `f"Building {self.train_spec.name} {job_config.model.flavor} with {model_args}"`,
    /// the model args' dataclass repr (`dim=256, n_layers=6, ...`); v0.2.1 to 439d067 (2026-04-20):
    /// the same with `json.dumps(..., indent=2)` over the following lines (`jsonFollows`); since:
    /// `f"Building {model_spec.name} {model_spec.flavor}"` alone.
    case building(name: String, flavor: String, fields: [String: Int], jsonFollows: Bool)
    /// train.py / trainer.py, every version: `f"{color.blue}Model {name} {flavor} {color.red}size: {model_param_count:,} total parameters{color.reset}"`.
    case modelSize(name: String, flavor: String, parameters: Int)
    /// train.py (d240be0) and trainer.py (f113706 to 717e935): `"Trainer is initialized with "`
    /// `f"local batch size {...}, global batch size {global_batch_size}, gradient accumulation steps {...}, "`
    /// `f"sequence length {...}, total steps {...} (warmup {...})"`.
    case trainer(TrainerFigures)
    /// Every version: `f"Peak FLOPS used for computing MFU: {gpu_peak_flops:.3e}"`.
    case peak(Double)
    /// torchtitan/components/metrics.py `build_device_memory_monitor`, every version:
    /// `f"{device_type.upper()} capacity: {device_name} with {device_capacity_gib:.2f}GiB memory"`.
    case capacity(device: String, gib: Double)
    /// torchtitan/datasets/hf_datasets.py (d240be0): `f"Preparing {dataset_name} dataset from {path}"`.
    case dataset(name: String, path: String)
    /// train.py / trainer.py, every version: `f"Training starts at step {self.step + 1}"`.
    case trainingStarts(step: Int)
    /// train.py / trainer.py, every version: `"Training completed"`.
    case trainingCompleted

    public struct TrainerFigures: Equatable, Sendable {
        public var localBatch: Int, globalBatch: Int, gradAccum: Int, seqLen: Int, steps: Int, warmup: Int

        public init(localBatch: Int, globalBatch: Int, gradAccum: Int, seqLen: Int, steps: Int, warmup: Int) {
            self.localBatch = localBatch; self.globalBatch = globalBatch; self.gradAccum = gradAccum
            self.seqLen = seqLen; self.steps = steps; self.warmup = warmup
        }
    }

    public init?(message: String) {
        guard let line = Self.parsers.lazy.compactMap({ parse in
            var scanner = TorchtitanScanner(message)
            return parse(&scanner)
        }).first else { return nil }
        self = line
    }

    /// One reader per format, each from the message's start.
    private static let parsers: [@Sendable (inout TorchtitanScanner) -> TorchtitanStartupLine?] = [
        { s in s.expect("Building ") ? meshOrModel(&s) : nil },
        { s in
            guard s.expect("Model "), let named = s.until(" size: "), let (name, flavor) = nameAndFlavor(named),
                  let count = s.int(), s.expect(" total parameters"), s.atEnd else { return nil }
            return .modelSize(name: name, flavor: flavor, parameters: count)
        },
        { s in s.expect("Trainer is initialized with local batch size ") ? trainer(&s).map { .trainer($0) } : nil },
        { s in
            guard s.expect("Peak FLOPS used for computing MFU: "), let peak = s.double(), s.atEnd else { return nil }
            return .peak(peak)
        },
        { s in
            guard let device = s.until(" capacity: "), !device.isEmpty, device.allSatisfy({ $0.isUppercase || $0.isNumber }),
                  let name = s.until(" with "), let gib = s.double(), s.expect("GiB memory"), s.atEnd else { return nil }
            return .capacity(device: "\(device) \(name)", gib: gib)
        },
        { s in
            guard s.expect("Preparing "), let name = s.until(" dataset from "), !s.atEnd else { return nil }
            return .dataset(name: String(name), path: String(s.rest))
        },
        { s in
            guard s.expect("Training starts at step "), let step = s.int(), s.atEnd else { return nil }
            return .trainingStarts(step: step)
        },
        { s in s.expect("Training completed") && s.atEnd ? .trainingCompleted : nil },
    ]

    private static func meshOrModel(_ s: inout TorchtitanScanner) -> TorchtitanStartupLine? {
        if s.expect("device mesh with parallelism: ") {
            var degrees: [String: Int] = [:]
            for pair in s.rest.split(separator: ",") {
                let parts = pair.split(separator: "=")
                guard parts.count == 2, let degree = Int(parts[1].trimmingCharacters(in: .whitespaces)) else { return nil }
                degrees[parts[0].trimmingCharacters(in: .whitespaces)] = degree
            }
            return degrees.isEmpty ? nil : .mesh(degrees: degrees)
        }
        let saved = s
        if s.int() != nil, s.expect("-D device mesh with ["), let names = s.until("], ["), let dims = s.until("]"), s.atEnd {
            let labels = names.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " '\"")) }
            let values = dims.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard labels.count == values.count, !labels.isEmpty else { return nil }
            return .mesh(degrees: Dictionary(zip(labels, values), uniquingKeysWith: { first, _ in first }))
        }
        s = saved
        return model(s.rest)
    }

    /// `llama3 debugmodel with TransformerModelArgs(dim=256, ...)`, `llama3 debugmodel with {`,
    /// v0.2.1's `llama3 debugmodelwith {` (a missing space in its f-string), or `llama3 debugmodel`.
    private static func model(_ text: Substring) -> TorchtitanStartupLine? {
        var head = text, fields: [String: Int] = [:], json = false
        if text.hasSuffix("with {") {
            head = text.dropLast("with {".count)
            json = true
        } else if let with = text.range(of: " with ") {
            head = text[..<with.lowerBound]
            fields = keyValues(text[with.upperBound...])
            guard !fields.isEmpty else { return nil }
        }
        guard let (name, flavor) = nameAndFlavor(head.trimmingCharacters(in: .whitespaces)[...]) else { return nil }
        return .building(name: name, flavor: flavor, fields: fields, jsonFollows: json)
    }

    /// The integer `key=value` fields of a dataclass repr (`None` and others left out).
    static func keyValues(_ repr: Substring) -> [String: Int] {
        var fields: [String: Int] = [:]
        for piece in repr.split(whereSeparator: { $0 == "," || $0 == "(" || $0 == ")" }) {
            let parts = piece.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Int(parts[1]) else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil, key.allSatisfy({ $0 == "_" || $0.isLetter || $0.isNumber }) { fields[key] = value }
        }
        return fields
    }

    private static func nameAndFlavor(_ text: Substring) -> (String, String)? {
        let parts = text.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, !parts[1].contains(" ") else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    private static func trainer(_ s: inout TorchtitanScanner) -> TrainerFigures? {
        guard let local = s.int(), s.expect(", global batch size "), let global = s.int(),
              s.expect(", gradient accumulation steps "), let accum = s.int(), s.expect(", sequence length "),
              let seqLen = s.int(), s.expect(", total steps "), let steps = s.int(), s.expect(" (warmup "),
              let warmup = s.int(), s.expect(")"), s.atEnd else { return nil }
        return TrainerFigures(localBatch: local, globalBatch: global, gradAccum: accum, seqLen: seqLen, steps: steps, warmup: warmup)
    }
}
