import Foundation
import RunSpec

/// torchtitan console lines written from torchtitan's own format strings, for tests: a real
/// run's start-up lines are in Tests/RunSourcesTests/Fixtures, but its step lines were not
/// published, so the tests make step lines here, from the f-strings of
/// torchtitan/components/metrics.py (`MetricsProcessor.log`) as Python formats them.
public enum TorchtitanLogLines {
    public enum Format: String, CaseIterable, Sendable {
        /// main at d240be0 (2025-09-12): `loss: {:7.4f}`, `mfu: {:.2f}%`.
        case september2025
        /// main from f113706 (2026-02-28): `loss: {:8.5f}`, `mfu: {mfu_str}` (`N/A` possible).
        case v03
    }

    public struct StepFigures: Equatable, Sendable {
        public var step: Int, loss: Double, gradNorm: Double, memoryGiB: Double, memoryPercent: Double
        public var tps: Int, tflops: Double, mfu: Double?

        public init(step: Int, loss: Double, gradNorm: Double, memoryGiB: Double, memoryPercent: Double, tps: Int,
                    tflops: Double, mfu: Double?) {
            self.step = step; self.loss = loss; self.gradNorm = gradNorm; self.memoryGiB = memoryGiB
            self.memoryPercent = memoryPercent; self.tps = tps; self.tflops = tflops; self.mfu = mfu
        }
    }

    /// torchtitan/tools/utils.py's `Color`.
    public static let red = "\u{1B}[31m", green = "\u{1B}[32m", blue = "\u{1B}[34m", magenta = "\u{1B}[35m"
    public static let cyan = "\u{1B}[36m", reset = "\u{1B}[39m"
    public static let orange = "\u{1B}[38;2;180;60;0m", turquoise = "\u{1B}[38;2;54;234;195m"

    /// The step line's message, coloured as torchtitan colours it unless `colour` is false (NoColor).
    public static func stepMessage(_ f: StepFigures, format: Format, colour: Bool = true) -> String {
        func c(_ code: String) -> String { colour ? code : "" }
        let p = PythonFormat.self
        let loss = format == .september2025 ? p.fixed(f.loss, 4, width: 7) : p.fixed(f.loss, 5, width: 8)
        let mfu = f.mfu.map { p.fixed($0, 2) + "%" } ?? "N/A"
        return "\(c(red))step: \(p.pad(String(f.step), 2))  \(c(green))loss: \(loss)  \(c(orange))grad_norm: \(p.fixed(f.gradNorm, 4, width: 7))  "
            + "\(c(turquoise))memory: \(p.fixed(f.memoryGiB, 2, width: 5))GiB(\(p.fixed(f.memoryPercent, 2))%)  "
            + "\(c(blue))tps: \(p.grouped(f.tps))  \(c(cyan))tflops: \(p.groupedFixed(f.tflops, 2))  \(c(magenta))mfu: \(mfu)\(c(reset))"
    }

    /// A whole console line: torchrun's `[rankN]:` (when `rank` is given), then torchtitan's
    /// logger header (torchtitan/tools/logging.py) at Unix time `time`, in the local time zone.
    public static func line(_ message: String, rank: Int?, time: Double, level: String = "INFO") -> String {
        (rank.map { "[rank\($0)]:" } ?? "") + "[titan] \(asctime(time)) - root - \(level) - \(message)"
    }

    /// Python logging's asctime: `2025-09-15 17:38:26,676`.
    public static func asctime(_ time: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let millis = Int((time * 1000).rounded()) % 1000
        return formatter.string(from: Date(timeIntervalSince1970: time.rounded(.down))) + String(format: ",%03d", millis)
    }

    /// The start-up messages a run prints (each rank), in the given format.
    public static func startupMessages(format: Format, replicate: Int, shard: Int, steps: Int, localBatch: Int = 8,
                                       seqLen: Int = 2048) -> [String] {
        let mesh = format == .september2025
            ? "Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [\(replicate), \(shard)]"
            : "Building device mesh with parallelism: pp=1, dp_replicate=\(replicate), dp_shard=\(shard), cp=1, tp=1, ep=1"
        return [
            "Starting job: Llama 3 debug training", mesh,
            "CUDA capacity: NVIDIA H100 with 94.99GiB memory",
            "\(blue)Model llama3 debugmodel \(red)size: 6,139,136 total parameters\(reset)",
            "Peak FLOPS used for computing MFU: 9.890e+14",
            "Trainer is initialized with local batch size \(localBatch), global batch size \(localBatch * replicate * shard), "
                + "gradient accumulation steps 1, sequence length \(seqLen), total steps \(steps) (warmup 2)",
            "Training starts at step 1",
        ]
    }

    /// Rank 0's console lines as every rank prints them when torchrun shows them all (LOG_RANK
    /// naming every rank): each line once a rank, its `[rank0]:` prefix renamed.
    public static func everyRank(_ rank0: [String], ranks: Int) -> [String] {
        rank0.flatMap { line in
            (0 ..< ranks).map { rank in
                line.hasPrefix("[rank0]:") ? "[rank\(rank)]:" + line.dropFirst("[rank0]:".count) : line
            }
        }
    }
}
