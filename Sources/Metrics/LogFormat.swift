import Foundation

/// torchtitan's log lines, character for character, so a meshtop log reads like a torchtitan one.
public enum LogFormat {
    /// `step:  1  loss:  8.16300  grad_norm:  1.2345  memory:  0.25GiB(1.05%)  tps: 2,400  tflops: 0.11  mfu: 88.12%`
    public static func stepLine(step: Int, loss: Double, gradNorm: Double, memoryGiB: Double, memoryPercent: Double,
                                tokensPerSecond: Double, tflops: Double, mfu: Double) -> String {
        "step: \(pad(String(step), 2))  loss: \(fixed(loss, 5, width: 8))  grad_norm: \(fixed(gradNorm, 4, width: 7))  "
            + "memory: \(fixed(memoryGiB, 2, width: 5))GiB(\(fixed(memoryPercent, 2))%)  "
            + "tps: \(grouped(Int(tokensPerSecond.rounded())))  tflops: \(groupedFixed(tflops, 2))  mfu: \(fixed(mfu, 2))%"
    }

    public static func modelSizeLine(flavor: String, parameters: Int) -> String {
        "Model llama3 \(flavor) size: \(grouped(parameters)) total parameters"
    }

    /// Python's `{:.3e}`: `1.040e+11`.
    public static func peakFlopsLine(_ flops: Double) -> String {
        "Peak FLOPS used for computing MFU: \(scientific(flops))"
    }

    public static func trainerLine(localBatch: Int, globalBatch: Int, gradAccum: Int, seqLen: Int,
                                   steps: Int, warmup: Int) -> String {
        "Trainer is initialized with local batch size \(localBatch), global batch size \(globalBatch), "
            + "gradient accumulation steps \(gradAccum), sequence length \(seqLen), total steps \(steps) (warmup \(warmup))"
    }

    // MARK: Python's format specs

    /// `{x:W.Pf}`
    public static func fixed(_ value: Double, _ precision: Int, width: Int = 0) -> String {
        pad(String(format: "%.\(precision)f", value), width)
    }

    /// `{n:,}`
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return value < 0 ? "-" + out : out
    }

    /// `{x:,.Pf}`
    public static func groupedFixed(_ value: Double, _ precision: Int) -> String {
        let text = String(format: "%.\(precision)f", value.magnitude)
        let parts = text.split(separator: ".", maxSplits: 1)
        let whole = grouped(Int(parts[0]) ?? 0)
        let sign = value < 0 && text.contains(where: { $0 != "0" && $0 != "." }) ? "-" : ""
        return sign + whole + (parts.count > 1 ? "." + parts[1] : "")
    }

    /// `{x:.3e}`: C's `%.3e` already writes at least two exponent digits, as Python does.
    public static func scientific(_ value: Double) -> String { String(format: "%.3e", value) }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
