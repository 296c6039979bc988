import Dataset
import XCTest

final class BatchPlanTests: XCTestCase {
    /// count 100, T 8, B 2, A 3, D 2: G = 12, offsets modulo 100 - 8 - 1 = 91.
    func testOffsetsByHand() throws {
        let plan = try BatchPlan(tokenCount: 100, seqLen: 8, localBatch: 2, gradAccum: 3, dataParallelDegree: 2)
        XCTAssertEqual(plan.sequencesPerStep, 12)
        XCTAssertEqual(plan.offsetModulus, 91)
        XCTAssertEqual(plan.offset(step: 0, sequence: 0), 0)
        XCTAssertEqual(plan.offset(step: 0, sequence: 1), 8)
        XCTAssertEqual(plan.offset(step: 0, sequence: 11), 88)
        XCTAssertEqual(plan.offset(step: 1, sequence: 0), 5)      // 96 mod 91
        XCTAssertEqual(plan.offset(step: 2, sequence: 5), 50)     // 29 * 8 = 232 mod 91
        XCTAssertEqual(plan.offset(step: 7, sequence: 3), 59)     // 87 * 8 = 696 = 7 * 91 + 59
        XCTAssertEqual(plan.sequences(rank: 0, microBatch: 0), 0..<2)
        XCTAssertEqual(plan.sequences(rank: 0, microBatch: 2), 4..<6)
        XCTAssertEqual(plan.sequences(rank: 1, microBatch: 0), 6..<8)
        XCTAssertEqual(plan.sequences(rank: 1, microBatch: 2), 10..<12)
    }

    func testFillWritesRowsOfInputsAndShiftedTargets() throws {
        let tokens = (0..<100).map(Int32.init)
        let plan = try BatchPlan(tokenCount: 100, seqLen: 8, localBatch: 2, gradAccum: 3, dataParallelDegree: 2)
        var inputs = [Int32](repeating: -1, count: 16), targets = [Int32](repeating: -1, count: 16)
        tokens.withUnsafeBufferPointer { t in
            inputs.withUnsafeMutableBufferPointer { i in
                targets.withUnsafeMutableBufferPointer { l in
                    plan.fill(step: 2, rank: 1, microBatch: 2, tokens: t, inputs: i, targets: l)
                }
            }
        }
        // Sequences 10 and 11 of step 2: (24 + 10) * 8 = 272 mod 91 = 90 -> wraps to... 272 - 182 = 90.
        // 90 + 8 + 1 = 99 <= 100 fits; sequence 11: 35 * 8 = 280 mod 91 = 7.
        XCTAssertEqual(Array(inputs[0..<8]), (90..<98).map(Int32.init))
        XCTAssertEqual(Array(targets[0..<8]), (91..<99).map(Int32.init))
        XCTAssertEqual(Array(inputs[8..<16]), (7..<15).map(Int32.init))
        XCTAssertEqual(Array(targets[8..<16]), (8..<16).map(Int32.init))
    }

    /// The G sequences of a step do not depend on how they are split over ranks and micro-batches.
    func testTheDataOfAStepIsIndependentOfTheMesh() throws {
        let count = 1009, t = 16
        let tokens = (0..<count).map { Int32(($0 * 7919) % 2000) }
        let g = 24
        for (b, a, d) in [(1, 1, 24), (2, 3, 4), (3, 2, 4), (4, 2, 3), (6, 4, 1), (1, 8, 3), (24, 1, 1)] {
            let plan = try BatchPlan(tokenCount: count, seqLen: t, localBatch: b, gradAccum: a, dataParallelDegree: d)
            let single = try BatchPlan(tokenCount: count, seqLen: t, localBatch: g, gradAccum: 1, dataParallelDegree: 1)
            for step in [0, 1, 5, 100, 12345] {
                var reference = ([Int32](repeating: 0, count: g * t), [Int32](repeating: 0, count: g * t))
                tokens.withUnsafeBufferPointer { tk in
                    single.fill(step: step, rank: 0, microBatch: 0, tokens: tk,
                                inputs: reference.0.withUnsafeMutableBufferPointer { $0 }, targets: reference.1.withUnsafeMutableBufferPointer { $0 })
                }
                var inputs = [Int32](), targets = [Int32]()
                for rank in 0..<d {
                    for micro in 0..<a {
                        var i = [Int32](repeating: 0, count: b * t), l = [Int32](repeating: 0, count: b * t)
                        tokens.withUnsafeBufferPointer { tk in
                            i.withUnsafeMutableBufferPointer { ib in
                                l.withUnsafeMutableBufferPointer { lb in
                                    plan.fill(step: step, rank: rank, microBatch: micro, tokens: tk, inputs: ib, targets: lb)
                                }
                            }
                        }
                        inputs += i; targets += l
                    }
                }
                XCTAssertEqual(inputs, reference.0, "B \(b) A \(a) D \(d) step \(step)")
                XCTAssertEqual(targets, reference.1, "B \(b) A \(a) D \(d) step \(step)")
            }
        }
    }

    func testOffsetsWrapAroundAndStayInRange() throws {
        let plan = try BatchPlan(tokenCount: 50, seqLen: 10, localBatch: 3, gradAccum: 2, dataParallelDegree: 2)
        var seen = Set<Int>()
        for step in 0..<200 {
            for i in 0..<plan.sequencesPerStep {
                let o = plan.offset(step: step, sequence: i)
                XCTAssertEqual(o, ((step * 12 + i) * 10) % 39)
                XCTAssertTrue(o >= 0 && o + 10 + 1 <= 50)
                seen.insert(o)
            }
        }
        XCTAssertEqual(seen.count, 39, "every start 0..<count-T-1 is used (gcd(T, 39) = 1)")
        // Huge steps do not overflow: the full-width arithmetic agrees with a decomposed computation.
        let big = try BatchPlan(tokenCount: 3_000_000_000, seqLen: 2048, localBatch: 64, gradAccum: 8, dataParallelDegree: 512)
        let m = 3_000_000_000 - 2049, n = Int.max / 3
        let g = 64 * 8 * 512
        let expected = (((n % m) * g % m + 5) % m) * 2048 % m
        XCTAssertEqual(big.offset(step: n, sequence: 5), expected)
        XCTAssertLessThan(big.offset(step: Int.max, sequence: g - 1), m)
    }

    func testTooFewTokensSaysHowManyAreNeeded() {
        assertThrows(try BatchPlan(tokenCount: 9, seqLen: 8, localBatch: 1, gradAccum: 1, dataParallelDegree: 1),
                     containing: ["9 tokens", "at least 10"])
        XCTAssertNoThrow(try BatchPlan(tokenCount: 10, seqLen: 8, localBatch: 1, gradAccum: 1, dataParallelDegree: 1))
        assertThrows(try BatchPlan(tokenCount: 100, seqLen: 8, localBatch: 0, gradAccum: 1, dataParallelDegree: 1), containing: ["batch"])
    }
}
