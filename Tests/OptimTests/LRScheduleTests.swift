import Foundation
import Optim
import RunSpec
import XCTest

final class LRScheduleTests: XCTestCase {
    let base: Float = 8e-4

    func factors(_ s: LRSchedule, _ steps: ClosedRange<Int>) -> [Double] {
        steps.map { s.factor(zeroBasedStep: $0 - 1) }
    }

    func assertFactors(_ s: LRSchedule, _ expected: [Int: Double], file: StaticString = #filePath, line: UInt = #line) {
        for (step, f) in expected.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(s.factor(zeroBasedStep: step - 1), f, accuracy: 1e-12, "factor at step \(step)", file: file, line: line)
            XCTAssertEqual(s.lr(step: step), Float(Double(s.baseLR) * f), "lr at step \(step)", file: file, line: line)
        }
    }

    /// total 10, warmup 2: decay = round(10 * 0.8) = 8 (warmup + decay = 10, not capped),
    /// stable = 10 + 1 - 2 - 8 = 1. Steps 1-2 warm up (1/2, 2/2), step 3 is stable, steps 4-10
    /// decay with progress (s + 1 - 3) / 8 = 1/8 ... 7/8.
    func testTotal10Warmup2Linear() {
        let s = LRSchedule(baseLR: base, warmupSteps: 2, totalSteps: 10)
        XCTAssertEqual(s.phases.warmup, 2); XCTAssertEqual(s.phases.stable, 1); XCTAssertEqual(s.phases.decay, 8)
        let expected: [Double] = [0.5, 1, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125]
        XCTAssertEqual(factors(s, 1...10), expected)
        XCTAssertEqual(s.lr(step: 1), 4e-4)
        XCTAssertEqual(s.lr(step: 2), 8e-4)
        XCTAssertEqual(s.lr(step: 10), Float(8e-4 * Double(Float(8e-4)) / 8e-4 * 0.125))
        XCTAssertEqual(Double(s.lr(step: 10)), 1e-4, accuracy: 1e-10)
    }

    /// total 300, warmup 2: decay = round(240) = 240, stable = 300 + 1 - 2 - 240 = 59, so the
    /// rate is flat through step 61 (s = 60) and decays from step 62: progress (s + 1 - 61) / 240.
    func testTotal300Warmup2() {
        let linear = LRSchedule(baseLR: base, warmupSteps: 2, totalSteps: 300)
        XCTAssertEqual(linear.phases.stable, 59); XCTAssertEqual(linear.phases.decay, 240)
        assertFactors(linear, [1: 0.5, 2: 1, 3: 1, 61: 1, 62: 239.0 / 240, 63: 238.0 / 240,
                               121: 0.75, 181: 0.5, 299: 2.0 / 240, 300: 1.0 / 240])

        var sqrt = linear; sqrt.decayType = .sqrt
        assertFactors(sqrt, [1: 0.5, 61: 1, 62: 1 - (1.0 / 240).squareRoot(), 121: 0.5,
                             181: 1 - 0.5.squareRoot(), 300: 1 - (239.0 / 240).squareRoot()])

        var cosine = linear; cosine.decayType = .cosine
        assertFactors(cosine, [2: 1, 61: 1, 121: 0.5 * (1 + 0.5.squareRoot()), 181: 0.5,
                               241: 0.5 * (1 - 0.5.squareRoot()), 300: 0.5 * (1 + cos(Double.pi * 239 / 240))])

        var floor = linear; floor.minLRFactor = 0.1
        assertFactors(floor, [1: 0.5, 61: 1, 181: 0.1 + 0.9 * 0.5, 300: 0.1 + 0.9 / 240])
    }

    func testNoDecayRatioDecaysOverEverythingAfterWarmup() {
        // decay = total - warmup = 8, stable = 1: the same as ratio 0.8 for total 10.
        let s = LRSchedule(baseLR: base, warmupSteps: 2, totalSteps: 10, decayRatio: nil)
        XCTAssertEqual(s.phases.decay, 8); XCTAssertEqual(s.phases.stable, 1)
        // total 20, warmup 4, nil: decay 16, stable 1, step 20 has progress 16/16... minus the
        // virtual step: s = 19, progress (20 - 5) / 16 = 15/16.
        let t = LRSchedule(baseLR: base, warmupSteps: 4, totalSteps: 20, decayRatio: nil)
        assertFactors(t, [1: 0.25, 4: 1, 5: 1, 6: 15.0 / 16, 20: 1.0 / 16])
        // Ratio 0: no decay at all, flat after warm-up.
        let flat = LRSchedule(baseLR: base, warmupSteps: 2, totalSteps: 10, decayRatio: 0)
        XCTAssertEqual(factors(flat, 1...10), [0.5] + Array(repeating: 1, count: 9))
    }

    func testRoundHalfToEvenAsPython() {
        // round(5 * 0.5) = round(2.5) = 2 in Python; stable = 5 + 1 - 1 - 2 = 3.
        let s = LRSchedule(baseLR: base, warmupSteps: 1, totalSteps: 5, decayRatio: 0.5)
        XCTAssertEqual(s.phases.decay, 2); XCTAssertEqual(s.phases.stable, 3)
        XCTAssertEqual(factors(s, 1...5), [1, 1, 1, 1, 0.5])
    }

    func testDecayCappedAndWarmupClamped() {
        // total 10, warmup 5: round(8) = 8 > 10 - 5, capped to 5; stable = 1.
        let s = LRSchedule(baseLR: base, warmupSteps: 5, totalSteps: 10)
        XCTAssertEqual(s.phases.decay, 5); XCTAssertEqual(s.phases.stable, 1)
        XCTAssertEqual(factors(s, 1...10), [0.2, 0.4, 0.6, 0.8, 1, 1, 0.8, 0.6, 0.4, 0.2].map { $0 }, accuracy: 1e-12)
        // Warm-up longer than the run is clamped to it (torchtitan warns): no decay left.
        let w = LRSchedule(baseLR: base, warmupSteps: 20, totalSteps: 10)
        XCTAssertEqual(w.phases.warmup, 10); XCTAssertEqual(w.phases.decay, 0)
        XCTAssertEqual(factors(w, 1...10), (1...10).map { Double($0) / 10 }, accuracy: 1e-12)
        // No warm-up.
        let z = LRSchedule(baseLR: base, warmupSteps: 0, totalSteps: 10)
        XCTAssertEqual(z.phases.stable, 3)
        XCTAssertEqual(z.factor(zeroBasedStep: 0), 1)
    }

    func testStepsPastTheEndStayAtTheMinimum() {
        let s = LRSchedule(baseLR: base, warmupSteps: 2, totalSteps: 10, minLRFactor: 0.1)
        XCTAssertEqual(s.factor(zeroBasedStep: 10), 0.1, accuracy: 1e-12)
        XCTAssertEqual(s.factor(zeroBasedStep: 50), 0.1, accuracy: 1e-12)
    }

    /// Over a grid of runs: warm-up rises linearly to 1, the rest never increases, stays within
    /// [min, 1], and the last step sits one decay step above the minimum (the virtual step).
    func testShapeOverAGridOfRuns() {
        for type in LRSchedule.DecayType.allCases {
            for total in 1...40 {
                for warmup in 0...6 {
                    for ratio in [0.8, 0.5, 0.1, 1.0, nil] as [Double?] {
                        let s = LRSchedule(baseLR: base, warmupSteps: warmup, totalSteps: total, decayRatio: ratio,
                                           decayType: type, minLRFactor: 0.05)
                        let (w, stable, decay) = s.phases
                        let what = "\(type) total \(total) warmup \(warmup) ratio \(ratio.map { "\($0)" } ?? "nil")"
                        XCTAssertEqual(w + stable + decay, total + 1, what)
                        XCTAssertGreaterThanOrEqual(stable, 1, what)
                        let f = factors(s, 1...total)
                        for step in 1...max(1, w) where step <= w {
                            XCTAssertEqual(f[step - 1], Double(step) / Double(w), accuracy: 1e-15, what)
                        }
                        for k in max(w, 1)..<total {
                            XCTAssertLessThanOrEqual(f[k], f[k - 1] + 1e-15, "\(what), step \(k + 1)")
                        }
                        XCTAssertTrue(f.allSatisfy { $0 >= 0.05 - 1e-15 && $0 <= 1 }, what)
                        if decay > 0, type == .linear {
                            XCTAssertEqual(f[total - 1], 0.05 + 0.95 / Double(decay), accuracy: 1e-12, what)
                        }
                        if decay == 0 { XCTAssertEqual(f[total - 1], 1, what) }
                    }
                }
            }
        }
    }

    func testValidationNamesTheField() {
        func field(_ s: LRSchedule) -> String? {
            do { try s.validate(); return nil } catch { return (error as? OptimConfigError)?.field }
        }
        XCTAssertNil(field(LRSchedule(baseLR: base, warmupSteps: 2, totalSteps: 10)))
        XCTAssertEqual(field(LRSchedule(baseLR: -1, warmupSteps: 2, totalSteps: 10)), "baseLR")
        XCTAssertEqual(field(LRSchedule(baseLR: base, warmupSteps: -1, totalSteps: 10)), "warmupSteps")
        XCTAssertEqual(field(LRSchedule(baseLR: base, warmupSteps: 2, totalSteps: 0)), "totalSteps")
        XCTAssertEqual(field(LRSchedule(baseLR: base, warmupSteps: 2, totalSteps: 10, decayRatio: 1.5)), "decayRatio")
        XCTAssertEqual(field(LRSchedule(baseLR: base, warmupSteps: 2, totalSteps: 10, minLRFactor: 2)), "minLRFactor")
        XCTAssertEqual(field(LRSchedule(baseLR: .nan, warmupSteps: 2, totalSteps: 10)), "baseLR")
    }

    func testCodable() throws {
        for s in [LRSchedule(baseLR: base, warmupSteps: 2, totalSteps: 10),
                  LRSchedule(baseLR: 1e-3, warmupSteps: 5, totalSteps: 300, decayRatio: nil, decayType: .cosine, minLRFactor: 0.1)] {
            let back = try JSONDecoder().decode(LRSchedule.self, from: JSONEncoder().encode(s))
            XCTAssertEqual(back, s)
        }
        let minimal = try JSONDecoder().decode(LRSchedule.self,
                                               from: Data(#"{"baseLR": 0.0008, "warmupSteps": 2, "totalSteps": 10}"#.utf8))
        XCTAssertEqual(minimal, LRSchedule(baseLR: 8e-4, warmupSteps: 2, totalSteps: 10))
        let noDecay = try JSONDecoder().decode(LRSchedule.self,
                                               from: Data(#"{"baseLR": 0.0008, "warmupSteps": 2, "totalSteps": 10, "decayRatio": null, "decayType": "sqrt"}"#.utf8))
        XCTAssertNil(noDecay.decayRatio); XCTAssertEqual(noDecay.decayType, .sqrt)
    }
}

func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() {
        XCTAssertEqual(x, y, accuracy: accuracy, "element \(i)", file: file, line: line)
    }
}
