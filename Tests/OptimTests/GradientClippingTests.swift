import Optim
import TestSupport
import XCTest

final class GradientClippingTests: XCTestCase {
    func testSumOfSquaresHandComputed() {
        let g: [Float] = [3, 4]
        XCTAssertEqual(g.withUnsafeBufferPointer { GradientClipping.sumOfSquares($0) }, 25)
        let h: [Float] = [1, -2, 2, 0.5, -0.5, 0, 0]  // 1 + 4 + 4 + 0.25 + 0.25
        XCTAssertEqual(h.withUnsafeBufferPointer { GradientClipping.sumOfSquares($0) }, 9.5)
        XCTAssertEqual([Float]().withUnsafeBufferPointer { GradientClipping.sumOfSquares($0) }, 0)
    }

    func testSumOfSquaresAgainstDouble() {
        for count in [1, 7, 255, 256, 257, 1000, 100_003] {
            var rng = SeededGenerator(seed: UInt64(count) &+ 11)
            let g = (0..<count).map { _ in rng.float(count % 2 == 0 ? 1e-4 : 3) }
            let exact = g.reduce(0.0) { $0 + Double($1) * Double($1) }
            let got = g.withUnsafeBufferPointer { GradientClipping.sumOfSquares($0) }
            XCTAssertEqual(got, exact, accuracy: exact * 1e-12, "count \(count)")
        }
        // All ones: exact in any order.
        let ones = [Float](repeating: 1, count: 6_139_136)
        XCTAssertEqual(ones.withUnsafeBufferPointer { GradientClipping.sumOfSquares($0) }, 6_139_136)
    }

    func testClipScalesToMaxNorm() {
        var g: [Float] = [3, 4, 0, 0, 0, 0, 0, 0, 0, 12]  // norm 13
        let norm = g.withUnsafeBufferPointer { GradientClipping.sumOfSquares($0) }.squareRoot()
        XCTAssertEqual(norm, 13)
        let coef = g.withUnsafeMutableBufferPointer { GradientClipping.clip($0, totalNorm: norm, maxNorm: 1) }
        let expected = Float(1 / (13 + 1e-6))
        XCTAssertEqual(coef, expected)
        XCTAssertEqual(g[0], 3 * expected); XCTAssertEqual(g[1], 4 * expected); XCTAssertEqual(g[9], 12 * expected)
        let after = g.withUnsafeBufferPointer { GradientClipping.sumOfSquares($0) }.squareRoot()
        XCTAssertEqual(after, 1, accuracy: 1e-6)
    }

    func testNoChangeUnderTheMax() {
        var g: [Float] = [0.3, 0.4]  // norm 0.5
        let before = g
        let coef = g.withUnsafeMutableBufferPointer { GradientClipping.clip($0, totalNorm: 0.5, maxNorm: 1) }
        XCTAssertEqual(coef, 1)
        XCTAssertEqual(g, before)
        // Exactly at the max: 1 / (1 + 1e-6) < 1, so torch scales by a hair; so do we.
        var h: [Float] = [0.6, 0.8]
        let c = h.withUnsafeMutableBufferPointer { GradientClipping.clip($0, totalNorm: 1, maxNorm: 1) }
        XCTAssertEqual(c, Float(1 / (1 + 1e-6)))
        XCTAssertLessThan(c, 1)
    }

    func testClipWithAGlobalNormFromShards() {
        // Two "ranks" hold halves; the caller adds their sums of squares and clips each half.
        var a: [Float] = [3, 0, 0], b: [Float] = [0, 4]
        let total = (a.withUnsafeBufferPointer { GradientClipping.sumOfSquares($0) }
            + b.withUnsafeBufferPointer { GradientClipping.sumOfSquares($0) }).squareRoot()
        XCTAssertEqual(total, 5)
        let ca = a.withUnsafeMutableBufferPointer { GradientClipping.clip($0, totalNorm: total, maxNorm: 2) }
        let cb = b.withUnsafeMutableBufferPointer { GradientClipping.clip($0, totalNorm: total, maxNorm: 2) }
        XCTAssertEqual(ca, cb)
        XCTAssertEqual(Double(a[0]), 1.2, accuracy: 1e-6)
        XCTAssertEqual(Double(b[1]), 1.6, accuracy: 1e-6)
    }

    func testNonFiniteNormPoisonsLikeTorch() {
        var g: [Float] = [1, 2]
        let c = g.withUnsafeMutableBufferPointer { GradientClipping.clip($0, totalNorm: .nan, maxNorm: 1) }
        XCTAssertTrue(c.isNaN)
        XCTAssertTrue(g[0].isNaN)
    }
}
