import Metrics
import RunSpec
import TestSupport
import XCTest

/// The expected strings are what Python's format specs in torchtitan's logger produce.
final class LogFormatTests: XCTestCase {
    func testStepLineMatchesTorchtitan() {
        let line = LogFormat.stepLine(step: 1, loss: 7.612345, gradNorm: 1.23456, memoryGiB: 0.25, memoryPercent: 1.0512,
                                      tokensPerSecond: 2400.4, tflops: 0.1134, mfu: 88.123)
        XCTAssertEqual(line, "step:  1  loss:  7.61235  grad_norm:  1.2346  memory:  0.25GiB(1.05%)  tps: 2,400  tflops: 0.11  mfu: 88.12%")
        let later = LogFormat.stepLine(step: 300, loss: 4.3, gradNorm: 12.5, memoryGiB: 12.345, memoryPercent: 51.4,
                                       tokensPerSecond: 1_234_567, tflops: 1234.5, mfu: 5)
        XCTAssertEqual(later, "step: 300  loss:  4.30000  grad_norm: 12.5000  memory: 12.35GiB(51.40%)  tps: 1,234,567  tflops: 1,234.50  mfu: 5.00%")
    }

    func testStartupLines() {
        XCTAssertEqual(LogFormat.modelSizeLine(flavor: "debugmodel", parameters: 6_139_136),
                       "Model llama3 debugmodel size: 6,139,136 total parameters")
        XCTAssertEqual(LogFormat.peakFlopsLine(9.89e14), "Peak FLOPS used for computing MFU: 9.890e+14")
        XCTAssertEqual(LogFormat.peakFlopsLine(1.04e11), "Peak FLOPS used for computing MFU: 1.040e+11")
        XCTAssertEqual(LogFormat.trainerLine(localBatch: 8, globalBatch: 64, gradAccum: 1, seqLen: 2048, steps: 10, warmup: 2),
                       "Trainer is initialized with local batch size 8, global batch size 64, gradient accumulation steps 1, sequence length 2048, total steps 10 (warmup 2)")
    }

    func testGrouping() {
        XCTAssertEqual(PythonFormat.grouped(0), "0")
        XCTAssertEqual(PythonFormat.grouped(999), "999")
        XCTAssertEqual(PythonFormat.grouped(1000), "1,000")
        XCTAssertEqual(PythonFormat.grouped(-1234567), "-1,234,567")
        XCTAssertEqual(PythonFormat.groupedFixed(0.004, 2), "0.00")
        XCTAssertEqual(PythonFormat.groupedFixed(12345.678, 2), "12,345.68")
    }
}

final class ThroughputTests: XCTestCase {
    func testMFUOfAKnownStep() {
        // 2,048 tokens in 0.8 s at 3.6e7 FLOPs/token against 1e11 peak: 2,560 tok/s, 0.09216 TFLOPS, 92.16 %.
        let t = Throughput(tokens: 2048, seconds: 0.8, flopsPerToken: 3.6e7, peakFlops: 1e11)
        XCTAssertEqual(t.tokensPerSecond, 2560, accuracy: 1e-9)
        XCTAssertEqual(t.tflops, 0.09216, accuracy: 1e-12)
        XCTAssertEqual(t.mfu, 92.16, accuracy: 1e-9)
    }
}
