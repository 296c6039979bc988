import Foundation
import RunSpec
import Telemetry

/// What a torchtitan log's start-up lines said, each fact from the first rank that said it (they
/// all print the same), and the hello it makes. What a log never says stays at a neutral value
/// (docs/torchtitan-logs.md): no host names or pids, no learning rate, seed or clipping norm, no
/// FLOPs per token; the peak's source is "given" (torchtitan's table for the device).
struct TorchtitanRunFacts {
    var degrees: [String: Int]?
    var modelName: String?
    var flavor: String?
    /// The model's integer fields (dim, n_layers, n_heads, n_kv_heads, vocab_size) where the log
    /// gives them.
    var fields: [String: Int] = [:]
    var parameters: Int?
    var trainer: TorchtitanStartupLine.TrainerFigures?
    var peak: Double?
    var dataPath: String?
    /// Each rank's device memory in bytes: its capacity line's, else what its step line's GiB
    /// and percentage imply.
    var capacity: [Int: Int] = [:]
    private var capacityFromLine: Set<Int> = []

    mutating func apply(_ line: TorchtitanStartupLine, rank: Int) {
        switch line {
        case .mesh(let degrees): if self.degrees == nil { self.degrees = degrees }
        case .building(let name, let flavor, let fields, _):
            if modelName == nil { modelName = name; self.flavor = flavor }
            self.fields.merge(fields) { first, _ in first }
        case .modelSize(let name, let flavor, let count):
            if parameters == nil { modelName = name; self.flavor = flavor; parameters = count }
        case .trainer(let figures): if trainer == nil { trainer = figures }
        case .peak(let flops): if peak == nil { peak = flops }
        case .capacity(_, let gib):
            capacity[rank] = Self.bytes(gib)
            capacityFromLine.insert(rank)
        case .dataset(_, let path): if dataPath == nil { dataPath = path }
        case .trainingStarts, .trainingCompleted: break
        }
    }

    /// The model's fields from the JSON torchtitan printed over several lines (v0.2.1 on):
    /// the top level first, then nested objects (n_heads sits in `layer.attention` in 0.3).
    mutating func applyModelJSON(_ text: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return }
        var level: [Any] = [object]
        while !level.isEmpty {
            var next: [Any] = []
            for case let dictionary as [String: Any] in level {
                for key in dictionary.keys.sorted() {
                    if let value = dictionary[key] as? Int, fields[key] == nil { fields[key] = value }
                    if let nested = dictionary[key] as? [String: Any] { next.append(nested) }
                }
            }
            level = next
        }
    }

    /// A rank's capacity from its first step line, where no capacity line gave it.
    mutating func noteCapacity(rank: Int, gib: Double, percent: Double) {
        guard !capacityFromLine.contains(rank), percent > 0, capacity[rank] == nil else { return }
        capacity[rank] = Self.bytes(gib * 100 / percent)
    }

    /// [dp_replicate, dp_shard]: a degree the line leaves out is 1; with expert parallelism the
    /// shard degree is split in two (`dp_shard_mod_ep` x `dp_shard_in_ep`).
    var mesh: MeshShape? {
        guard let d = degrees else { return nil }
        let shard = d["dp_shard"] ?? (d["dp_shard_mod_ep"] ?? 1) * (d["dp_shard_in_ep"] ?? 1)
        return try? MeshShape(replicate: d["dp_replicate"] ?? 1, shard: shard)
    }

    /// The degrees above 1 other than data parallelism's (pp, cp, tp, ep), by name.
    var otherDegrees: [(String, Int)] {
        (degrees ?? [:]).filter { !$0.key.hasPrefix("dp_") && $0.value > 1 }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Tokens one rank processes per optimizer step (local batch x sequence x accumulation); 0 unknown.
    var tokensPerStep: Int {
        guard let t = trainer else { return 0 }
        return t.localBatch * t.seqLen * max(1, t.gradAccum)
    }

    /// The devices a data-parallel rank's tps is divided by (pp x cp x tp: torchtitan's
    /// `non_data_parallel_size`).
    var nonDataParallelSize: Int {
        ["pp", "cp", "tp"].reduce(1) { $0 * max(1, degrees?[$1] ?? 1) }
    }

    func hello() -> Hello? {
        guard let mesh else { return nil }
        let t = trainer
        let config = RunConfig(steps: t?.steps ?? 0, seqLen: t?.seqLen ?? 0, localBatchSize: t?.localBatch ?? 0,
                               globalBatchSize: t?.globalBatch ?? 0, gradAccum: t?.gradAccum ?? 0, warmupSteps: t?.warmup ?? 0,
                               lr: 0, maxNorm: 0, seed: 0, threads: 0, dataPath: dataPath ?? "", tokenizerPath: "")
        let heads = fields["n_heads"] ?? 0
        // The dashboard titles the run "llama3 <flavor>": another model keeps its name in the flavor.
        let shownFlavor = modelName.map { $0 == "llama3" ? (flavor ?? "") : "\($0) \(flavor ?? "")" } ?? ""
        let model = ModelSummary(flavor: shownFlavor, dim: fields["dim"] ?? 0, nLayers: fields["n_layers"] ?? 0, nHeads: heads,
                                 nKVHeads: fields["n_kv_heads"] ?? heads, vocabSize: fields["vocab_size"] ?? 0,
                                 parameters: parameters ?? 0)
        let peakInfo = PeakInfo(flops: peak ?? 0, source: peak == nil ? "unknown" : "given",
                                detail: peak == nil ? "the log has no \"Peak FLOPS used for computing MFU\" line"
                                    : "torchtitan's peak for the device, from its log")
        let ranks = (0 ..< mesh.worldSize).map { RankIdentity(rank: $0, host: "", pid: 0, hostMemoryBytes: capacity[$0] ?? 0) }
        return Hello(config: config, mesh: MeshLayout(replicate: mesh.replicate, shard: mesh.shard,
                                                      strategy: mesh.strategy.rawValue.lowercased()),
                     model: model, flopsPerToken: 0, peak: peakInfo, ranks: ranks)
    }

    static func bytes(_ gib: Double) -> Int { Int((gib * 1_073_741_824).rounded()) }
}
