import CBLAS
import Memory
import Model
import ModelShape
import XCTest

/// The GEMM tally behind MFU's split: every dense product of a forward and backward counted once,
/// on its lane, and none of the attention core's.
final class GemmTallyTests: XCTestCase {
    override func setUp() { openblas_set_num_threads(1) }
    override func tearDown() { Kernels.useAVX2 = Self.avx2 }
    static let avx2 = Kernels.useAVX2
    private var ledgers: [MemoryLedger] = []

    /// 2mnk summed over the products a step makes, per token: a layer's q/k/v (d x w) and wo (d x d)
    /// forward, their weight and input gradients, wo's product once more in the backward (h rebuilt),
    /// the feed-forward's three (d x hidden) forward and six backward, and the output (d x vocab) three times.
    static func denseFlops(_ c: ModelConfig, tokens: Int) -> Double {
        let d = Double(c.dim), w = Double(c.dim + 2 * c.kvDim), h = Double(c.ffnHidden), v = Double(c.vocabSize)
        let layer = 3 * d * w + 4 * d * d + 9 * d * h
        return 2 * Double(tokens) * (Double(c.nLayers) * layer + 3 * d * v)
    }

    private func pass(lanes: Int, batch: Int = 4, seqLen: Int = 16) throws -> (Llama, GemmTally) {
        ledgers.append(MemoryLedger())
        let model = try Llama(config: .tiny, batchSize: batch, seqLen: seqLen, ledger: ledgers.last!, lanes: lanes)
        Initializer.initialize(model.parameters, layout: model.layout, seed: 3)
        let tokens = (0 ..< batch * seqLen + 1).map { Int32(($0 * 7919 + 13) % 2000) }
        let inputs = Array(tokens.dropLast()), targets = Array(tokens.dropFirst())
        model.zeroGradients()
        model.resetGemmTally()
        _ = inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { model.forward(inputs: i, targets: $0, hooks: nil) }
        }
        model.backward(lossScale: 1, hooks: nil)
        return (model, model.gemmTally)
    }

    func testAForwardAndBackwardCountEveryDenseProductOnce() throws {
        for useAVX2 in Set([false, Self.avx2]) {   // the portable attention core runs its products through sgemm
            Kernels.useAVX2 = useAVX2
            let (_, tally) = try pass(lanes: 1)
            XCTAssertEqual(tally.flops, Self.denseFlops(.tiny, tokens: 64), "AVX2 \(useAVX2)")
            XCTAssertEqual(tally.laneSeconds.count, 1)
            XCTAssertGreaterThan(tally.meanSeconds, 0)
        }
    }

    func testEachLaneKeepsItsOwnTallyAndAResetClearsThem() throws {
        let (model, tally) = try pass(lanes: 2)
        XCTAssertEqual(tally.flops, Self.denseFlops(.tiny, tokens: 64), "the two halves of the batch add up to all of it")
        XCTAssertEqual(tally.laneSeconds.count, 2)
        for seconds in tally.laneSeconds { XCTAssertGreaterThan(seconds, 0) }
        XCTAssertEqual(tally.meanSeconds, tally.laneSeconds.reduce(0, +) / 2)
        model.resetGemmTally()
        XCTAssertEqual(model.gemmTally, GemmTally(laneSeconds: [0, 0], flops: 0))
    }

    func testAGemmOutsideAPassIsNotCounted() throws {
        let (model, before) = try pass(lanes: 1)
        var a = [Float](repeating: 1, count: 64), c = [Float](repeating: 0, count: 64)
        Kernels.gemm(transA: false, transB: false, m: 8, n: 8, k: 8, alpha: 1, a: &a, lda: 8, b: &a, ldb: 8, beta: 0, c: &c, ldc: 8)
        XCTAssertEqual(model.gemmTally, before, "no tally is bound to this thread outside forward and backward")
        XCTAssertEqual(c[0], 8)
    }
}
