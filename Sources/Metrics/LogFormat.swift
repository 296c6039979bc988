import Foundation
import RunSpec

/// torchtitan's log lines, character for character, so a meshtop log reads like a torchtitan one.
public enum LogFormat {
    /// `step:  1  loss:  8.16300  grad_norm:  1.2345  memory:  0.25GiB(1.05%)  tps: 2,400  tflops: 0.11  mfu: 88.12%`
    public static func stepLine(step: Int, loss: Double, gradNorm: Double, memoryGiB: Double, memoryPercent: Double,
                                tokensPerSecond: Double, tflops: Double, mfu: Double) -> String {
        let p = PythonFormat.self
        return "step: \(p.pad(String(step), 2))  loss: \(p.fixed(loss, 5, width: 8))  grad_norm: \(p.fixed(gradNorm, 4, width: 7))  "
            + "memory: \(p.fixed(memoryGiB, 2, width: 5))GiB(\(p.fixed(memoryPercent, 2))%)  "
            + "tps: \(p.grouped(Int(tokensPerSecond.rounded())))  tflops: \(p.groupedFixed(tflops, 2))  mfu: \(p.fixed(mfu, 2))%"
    }

    public static func modelSizeLine(flavor: String, parameters: Int) -> String {
        "Model llama3 \(flavor) size: \(PythonFormat.grouped(parameters)) total parameters"
    }

    /// Python's `{:.3e}`: `1.040e+11`.
    public static func peakFlopsLine(_ flops: Double) -> String {
        "Peak FLOPS used for computing MFU: \(PythonFormat.scientific(flops))"
    }

    public static func trainerLine(localBatch: Int, globalBatch: Int, gradAccum: Int, seqLen: Int,
                                   steps: Int, warmup: Int) -> String {
        "Trainer is initialized with local batch size \(localBatch), global batch size \(globalBatch), "
            + "gradient accumulation steps \(gradAccum), sequence length \(seqLen), total steps \(steps) (warmup \(warmup))"
    }
}
