/// torchtitan's TensorBoard tags (`torchtitan/components/metrics.py`, `MetricsProcessor.log`)
/// and the figure of meshtop's telemetry each carries (docs/tensorboard.md has the table).
public enum TensorBoardTags {
    // The run's figures, the same on every rank: at the top level.
    /// `Step.loss`: the mean token loss over every rank (torchtitan: global loss sum / global tokens).
    public static let loss = "loss_metrics/global_avg_loss"
    /// torchtitan's max over ranks of each rank's own mean loss: the step event has no per-rank
    /// loss, so meshtop never writes it.
    public static let maxLoss = "loss_metrics/global_max_loss"
    /// `Step.gradNorm`: the global norm before clipping (what clip_grad_norm_ returns, as there).
    public static let gradNorm = "grad_norm"
    /// `Step.lr`: torchtitan's name from July 2025; since June 2026 it writes `lr/<Optimizer>`,
    /// which reading takes too (`lrPrefix`).
    public static let lr = "lr"
    public static let lrPrefix = "lr/"
    /// Tokens of every rank from step 1 to this one (torchtitan's extra metric).
    public static let tokensSeen = "n_tokens_seen"

    // One rank's figures: rank 0's at the top level (torchtitan's default, where rank 0 alone
    // logs), every rank's in its `rank_N` folder (torchtitan's `save_for_all_ranks`).
    /// `RankStep.tokensPerSecond`.
    public static let tokensPerSecond = "throughput(tps)"
    /// `RankStep.tflops`.
    public static let tflops = "tflops"
    /// `RankStep.mfu`.
    public static let mfu = "mfu(%)"
    /// `RankStep.seconds.total`: the step's wall time (torchtitan: the log interval over log_freq).
    public static let endToEnd = "time_metrics/end_to_end(s)"
    /// `RankStep.seconds.data`.
    public static let dataLoading = "time_metrics/data_loading(s)"
    /// `100 x seconds.data / seconds.total`.
    public static let dataLoadingPercent = "time_metrics/data_loading(%)"
    /// The rank's memory ledger, every category summed, in GiB: the bytes its tensors hold
    /// (torchtitan: the caching allocator's peak active bytes); meshtop allocates it all before
    /// step 1, so its peak is its size.
    public static let maxActiveGiB = "memory/max_active(GiB)"
    public static let maxActivePercent = "memory/max_active(%)"
    /// `RankStep.peakResidentBytes` in GiB: the process's resident high-water mark (torchtitan:
    /// the allocator's peak reserved bytes, the figure of its step line's `memory:`, as meshtop's).
    public static let maxReservedGiB = "memory/max_reserved(GiB)"
    public static let maxReservedPercent = "memory/max_reserved(%)"

    /// The hello of each mesh the run trained on, as its telemetry JSON line (a text summary:
    /// TensorBoard shows it under Text). meshtop's own; what reading takes the mesh from.
    public static let hello = "meshtop/hello"

    /// The tags of one rank's figures.
    public static let perRank: Set<String> = [tokensPerSecond, tflops, mfu, endToEnd, dataLoading, dataLoadingPercent,
                                              maxActiveGiB, maxActivePercent, maxReservedGiB, maxReservedPercent]

    /// The tag meshtop knows `tag` as: tensorboardX's `add_scalar` replaces every character
    /// outside `[-/A-Za-z0-9_.]` with `_` (TensorFlow's node names), so its files hold
    /// `throughput_tps_` for `throughput(tps)`; torch's writer keeps the names as given.
    public static func canonical(_ tag: String) -> String { tensorboardXNames[tag] ?? tag }

    private static let tensorboardXNames: [String: String] = {
        let known = [loss, maxLoss, gradNorm, lr, tokensSeen] + perRank.sorted()
        let allowed = Set("-/_.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var names: [String: String] = [:]
        for tag in known {
            let cleaned = String(tag.map { allowed.contains($0) ? $0 : "_" })
            if cleaned != tag { names[cleaned] = tag }
        }
        return names
    }()

    /// The folder of rank `rank`'s figures.
    public static func rankFolder(_ rank: Int) -> String { "rank_\(rank)" }

    static let bytesPerGiB = Double(1 << 30)
}
