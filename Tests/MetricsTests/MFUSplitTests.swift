import Foundation
import Metrics
import RunSpec
import XCTest

/// MFU as four factors: their product is the MFU, exactly, and the text's rounded figures give it
/// back to well within half a point.
final class MFUSplitTests: XCTestCase {
    func testTheFourFactorsOfAWorkedExample() throws {
        // 100 model FLOPs in 2 s against a peak of 100 FLOP/s: MFU 50%. The GEMMs executed 80 FLOPs
        // in 1 s (80% of the peak); 0.4 s were spent waiting, so 1 s of the 1.6 s working was in GEMMs.
        let split = try XCTUnwrap(MFUSplit(modelFlops: 100, stepSeconds: 2, peakFlops: 100, gemmSeconds: 1, gemmFlops: 80,
                                           waitSeconds: 0.4))
        XCTAssertEqual(split.gemmOfPeak, 0.8, accuracy: 1e-12)
        XCTAssertEqual(split.inGemms, 0.625, accuracy: 1e-12)
        XCTAssertEqual(split.notWaiting, 0.8, accuracy: 1e-12)
        XCTAssertEqual(split.modelPerGemmFlop, 1.25, accuracy: 1e-12)
        XCTAssertEqual(split.gemmFlopsPerSecond, 80)
        XCTAssertEqual(split.product, 0.5, accuracy: 1e-12)
        XCTAssertEqual(split.text, "gemm 80.0% of peak x 62.5% in gemm x 80.0% not waiting x 1.250 model/gemm flops")
    }

    func testNothingToSplitWithoutGemmsOrWorkingTime() {
        XCTAssertNil(MFUSplit(modelFlops: 100, stepSeconds: 2, peakFlops: 100, gemmSeconds: 0, gemmFlops: 80, waitSeconds: 0))
        XCTAssertNil(MFUSplit(modelFlops: 100, stepSeconds: 2, peakFlops: 100, gemmSeconds: 1, gemmFlops: 0, waitSeconds: 0))
        XCTAssertNil(MFUSplit(modelFlops: 100, stepSeconds: 2, peakFlops: 100, gemmSeconds: 1, gemmFlops: 80, waitSeconds: 2))
        XCTAssertNil(MFUSplit(modelFlops: 100, stepSeconds: 0, peakFlops: 100, gemmSeconds: 1, gemmFlops: 80, waitSeconds: 0))
        XCTAssertNil(Throughput(tokens: 2048, seconds: 1, flopsPerToken: 4e7, peakFlops: 9e10).split)
    }

    /// Throughput's MFU and its split agree for any figures, and the printed factors multiply back to
    /// the printed MFU within what their rounding allows (far inside 0.5 points).
    func testTheSplitMultipliesBackToTheMFU() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0 ..< 1000 {
            let total = Double.random(in: 0.05 ... 5, using: &generator)
            let wait = total * Double.random(in: 0 ... 0.9, using: &generator)
            let gemm = (total - wait) * Double.random(in: 0.05 ... 1, using: &generator)
            let perToken = Double.random(in: 1e6 ... 1e9, using: &generator)
            let tokens = Int.random(in: 1 ... 100_000, using: &generator)
            let gemmFlops = perToken * Double(tokens) / Double.random(in: 0.8 ... 1.6, using: &generator)
            // a peak the GEMMs reach 5-100% of
            let peak = gemmFlops / gemm / Double.random(in: 0.05 ... 1, using: &generator)
            let t = Throughput(tokens: tokens, seconds: total, flopsPerToken: perToken, peakFlops: peak,
                               gemm: (gemm, gemmFlops, wait))
            let split = try XCTUnwrap(t.split)
            XCTAssertEqual(100 * split.product, t.mfu, accuracy: 1e-9 * max(1, t.mfu))
            let printed = try Self.factors(split.text)
            let product = printed.dropLast().reduce(1) { $0 * $1 / 100 } * printed[3] * 100
            let bound = printed.dropLast().reduce(0.0005 / printed[3]) { $0 + 0.05 / $1 } * t.mfu * 1.001 + 1e-9
            XCTAssertEqual(product, t.mfu, accuracy: min(0.5, bound), split.text)
        }
    }

    /// The four numbers of `gemm A% of peak x B% in gemm x C% not waiting x D model/gemm flops`.
    static func factors(_ text: String) throws -> [Double] {
        let numbers = text.split(separator: " ").compactMap { Double($0.hasSuffix("%") ? $0.dropLast() : $0) }
        guard numbers.count == 4 else { throw NSError(domain: "split", code: 1, userInfo: [NSLocalizedDescriptionKey: text]) }
        return numbers
    }
}
