/// One rank's step line (`MetricsProcessor.log` in torchtitan/components/metrics.py), in either
/// format:
///
/// - September 2025 (main at d240be0, 2025-09-12, the version of the replicate integration's log;
///   also v0.2.0 and v0.2.1):
///   `f"{color.red}step: {step:2}  {color.green}loss: {global_avg_loss:7.4f}  "`
///   `f"{color.orange}grad_norm: {grad_norm:7.4f}  "`
///   `f"{color.turquoise}memory: {device_mem_stats.max_reserved_gib:5.2f}GiB({device_mem_stats.max_reserved_pct:.2f}%)  "`
///   `f"{color.blue}tps: {round(tps):,}  {color.cyan}tflops: {tflops:,.2f}  {color.magenta}mfu: {mfu:.2f}%{color.reset}"`
/// - 0.3 (main from f113706, 2026-02-28, after v0.2.2; the same through 717e935, 2026-08-21): the
///   loss as `{global_avg_loss:8.5f}` (since cf86edc, 2026-02-06) and `mfu: {mfu_str}`, where
///   `mfu_str` is `f"{mfu:.2f}%"` or `"N/A"` when FP8/MX quantization makes MFU meaningless.
///
/// The fields are read in that order, each a key and its value separated by spaces, so padding
/// and the number of decimals do not matter; anything else (a line cut short, another key, text
/// after the end) is not a step line. `validate step: ...` lines are not either.
public struct TorchtitanStepLine: Equatable, Sendable {
    public var step: Int
    /// The global average loss over every rank's tokens (the same on every rank).
    public var loss: Double
    public var gradNorm: Double
    /// The rank's peak reserved device memory since the last step line, GiB (2^30 bytes).
    public var memoryGiB: Double
    /// The same as a percentage of the device's capacity.
    public var memoryPercent: Double
    /// Tokens per second per device (rounded by torchtitan).
    public var tokensPerSecond: Double
    public var tflops: Double
    /// Percent of the peak; nil when the line says `mfu: N/A`.
    public var mfu: Double?
    /// Decimals of the loss: 4 in the September 2025 format, 5 in 0.3's.
    public var lossDecimals: Int

    public init(step: Int, loss: Double, gradNorm: Double, memoryGiB: Double, memoryPercent: Double,
                tokensPerSecond: Double, tflops: Double, mfu: Double?, lossDecimals: Int) {
        self.step = step; self.loss = loss; self.gradNorm = gradNorm; self.memoryGiB = memoryGiB
        self.memoryPercent = memoryPercent; self.tokensPerSecond = tokensPerSecond; self.tflops = tflops
        self.mfu = mfu; self.lossDecimals = lossDecimals
    }

    /// The fields of a message (colours already removed), or nil if it is not a whole step line.
    public init?(message: String) {
        var s = TorchtitanScanner(message)
        guard s.expect("step:"), let step = s.int(), Self.key(&s, "loss:") else { return nil }
        s.skipSpaces()
        let lossText = s.rest.prefix { $0 != " " }
        guard let loss = s.double(), Self.key(&s, "grad_norm:"), let gradNorm = s.double(),
              Self.key(&s, "memory:"), let gib = s.double(), s.expect("GiB("), let percent = s.double(), s.expect("%)"),
              Self.key(&s, "tps:"), let tps = s.int(), Self.key(&s, "tflops:"), let tflops = s.double(),
              Self.key(&s, "mfu:") else { return nil }
        s.skipSpaces()
        var mfu: Double?
        if !s.expect("N/A") {
            guard let value = s.double(), s.expect("%") else { return nil }
            mfu = value
        }
        s.skipSpaces()
        guard s.atEnd else { return nil }
        let decimals = lossText.split(separator: ".", maxSplits: 1).dropFirst().first?.count ?? 0
        self.init(step: step, loss: loss, gradNorm: gradNorm, memoryGiB: gib, memoryPercent: percent,
                  tokensPerSecond: Double(tps), tflops: tflops, mfu: mfu, lossDecimals: decimals)
    }

    /// Whether a message starts as a step line does: a cut one may be continued on the next line.
    public static func begins(_ message: String) -> Bool { message.hasPrefix("step:") }

    /// At least one space, then `key`.
    private static func key(_ s: inout TorchtitanScanner, _ key: String) -> Bool {
        guard s.rest.first == " " else { return false }
        s.skipSpaces()
        return s.expect(key)
    }
}
