import Foundation
import Optim
import RunSpec
import TestSupport
import XCTest

/// The formula in Double, straight from the torch.optim.AdamW documentation.
struct ReferenceAdamW {
    var p: [Double], m: [Double], v: [Double]
    /// The moment of |g|: the scale of m's terms, against which m's Float rounding is measured
    /// (m can cancel to far below its terms when the gradient's sign flips).
    var mScale: [Double]
    var t = 0
    let b1: Double, b2: Double, eps: Double, wd: Double

    init(p: [Float], config: AdamWConfig) {
        self.p = p.map(Double.init)
        m = Array(repeating: 0, count: p.count)
        v = Array(repeating: 0, count: p.count)
        mScale = v
        b1 = Double(config.beta1); b2 = Double(config.beta2)
        eps = Double(config.eps); wd = Double(config.weightDecay)
    }

    mutating func step(_ g: [Float], lr: Float) {
        t += 1
        let lr = Double(lr)
        let bc1 = 1 - pow(b1, Double(t)), bc2 = 1 - pow(b2, Double(t))
        for i in p.indices {
            let gi = Double(g[i])
            p[i] *= 1 - lr * wd
            m[i] = b1 * m[i] + (1 - b1) * gi
            mScale[i] = b1 * mScale[i] + (1 - b1) * abs(gi)
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            p[i] -= (lr / bc1) * m[i] / (v[i].squareRoot() / bc2.squareRoot() + eps)
        }
    }
}

/// Owns the buffers an AdamW works on, as the trainer's memory ledger would.
final class Buffers {
    let p, g, m, v: UnsafeMutableBufferPointer<Float>
    init(count: Int) {
        p = .allocate(capacity: count); g = .allocate(capacity: count)
        m = .allocate(capacity: count); v = .allocate(capacity: count)
        for b in [p, g, m, v] { b.initialize(repeating: 0) }
    }
    deinit { for b in [p, g, m, v] { b.deallocate() } }
}

func assertClose(_ actual: UnsafeMutableBufferPointer<Float>, _ expected: [Double], rel: Double,
                 _ what: String, scale: [Double]? = nil, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
    var worst = 0.0, worstIndex = -1
    for i in 0..<min(actual.count, expected.count) {
        let err = abs(Double(actual[i]) - expected[i]) / max(abs(expected[i]), scale?[i] ?? 0, 1e-30)
        if err > worst { worst = err; worstIndex = i }
    }
    XCTAssertLessThanOrEqual(worst, rel,
                             "\(what): worst relative error \(worst) at \(worstIndex) (got \(worstIndex >= 0 ? Double(actual[worstIndex]) : .nan), expected \(worstIndex >= 0 ? expected[worstIndex] : .nan))",
                             file: file, line: line)
}

final class AdamWTests: XCTestCase {
    func testMatchesDoubleReferenceOverSeveralSteps() {
        for count in [1, 7, 8, 9, 17, 1000] {
            var rng = SeededGenerator(seed: UInt64(count))
            let config = AdamWConfig()
            let b = Buffers(count: count)
            for i in 0..<count { b.p[i] = rng.float(1) }
            var ref = ReferenceAdamW(p: Array(b.p), config: config)
            let opt = AdamW(config: config, m: b.m, v: b.v)
            let schedule = LRSchedule(baseLR: config.lr, warmupSteps: 2, totalSteps: 10)
            for step in 1...6 {
                // Gradients of varied magnitude, including some exact zeros.
                for i in 0..<count { b.g[i] = i % 5 == 3 ? 0 : rng.float(step % 2 == 0 ? 1e-3 : 2) }
                let lr = schedule.lr(step: step)
                opt.step(parameters: b.p, gradients: UnsafeBufferPointer(b.g), lr: lr)
                ref.step(Array(b.g), lr: lr)
                XCTAssertEqual(opt.stepCount, step)
                assertClose(b.p, ref.p, rel: 1e-6, "parameters, count \(count), step \(step)")
                assertClose(b.m, ref.m, rel: 1e-6, "m, count \(count), step \(step)", scale: ref.mScale)
                assertClose(b.v, ref.v, rel: 1e-6, "v, count \(count), step \(step)")
            }
        }
    }

    func testNonDefaultHyperParameters() {
        let config = AdamWConfig(lr: 3e-3, beta1: 0.8, beta2: 0.999, eps: 1e-6, weightDecay: 0.01)
        let count = 33
        var rng = SeededGenerator(seed: 42)
        let b = Buffers(count: count)
        for i in 0..<count { b.p[i] = rng.float(3) }
        var ref = ReferenceAdamW(p: Array(b.p), config: config)
        let opt = AdamW(config: config, m: b.m, v: b.v)
        for _ in 0..<4 {
            for i in 0..<count { b.g[i] = rng.float(0.5) }
            opt.step(parameters: b.p, gradients: UnsafeBufferPointer(b.g), lr: config.lr)
            ref.step(Array(b.g), lr: config.lr)
        }
        assertClose(b.p, ref.p, rel: 1e-6, "parameters")
    }

    func testZeroGradientsOnlyDecayWeights() {
        for count in [1, 7, 1000] {
            let b = Buffers(count: count)
            var rng = SeededGenerator(seed: 7)
            for i in 0..<count { b.p[i] = rng.float(1) }
            let start = Array(b.p)
            let opt = AdamW(config: AdamWConfig(), m: b.m, v: b.v)
            let lr: Float = 8e-4
            let factor = Float(1 - Double(lr) * Double(Float(0.1)))
            for _ in 0..<3 { opt.step(parameters: b.p, gradients: UnsafeBufferPointer(b.g), lr: lr) }
            for i in 0..<count {
                XCTAssertEqual(b.p[i], start[i] * factor * factor * factor, "element \(i) of \(count)")
                XCTAssertEqual(b.m[i], 0)
                XCTAssertEqual(b.v[i], 0)
            }
            // Relative to the exact decay (1 - lr*wd)^3 in Double.
            let exact = pow(1 - Double(lr) * 0.1, 3)
            assertClose(b.p, start.map { Double($0) * exact }, rel: 1e-6, "decay only, count \(count)")
        }
    }

    /// Two sets of buffers with the same random parameters.
    private func twins(count: Int, _ rng: inout SeededGenerator) -> (Buffers, Buffers) {
        let a = Buffers(count: count), b = Buffers(count: count)
        for i in 0..<count { a.p[i] = rng.float(1); b.p[i] = a.p[i] }
        return (a, b)
    }

    func testShardsGiveTheSameBitsAsTheWholeBuffer() {
        // An FSDP shard may start and end anywhere; the update of each element must not depend on it.
        let count = 1003
        var rng = SeededGenerator(seed: 99)
        let (whole, sharded) = twins(count: count, &rng)
        let optWhole = AdamW(config: AdamWConfig(), m: whole.m, v: whole.v)
        let cuts = [0, 5, 13, 500, 777, count]
        let shardOpts = zip(cuts, cuts.dropFirst()).map { lo, hi in
            AdamW(config: AdamWConfig(),
                  m: UnsafeMutableBufferPointer(rebasing: sharded.m[lo..<hi]),
                  v: UnsafeMutableBufferPointer(rebasing: sharded.v[lo..<hi]))
        }
        for step in 1...3 {
            for i in 0..<count { whole.g[i] = rng.float(1); sharded.g[i] = whole.g[i] }
            let lr = Float(step) * 1e-3
            optWhole.step(parameters: whole.p, gradients: UnsafeBufferPointer(whole.g), lr: lr)
            for (k, (lo, hi)) in zip(cuts, cuts.dropFirst()).enumerated() {
                shardOpts[k].step(parameters: UnsafeMutableBufferPointer(rebasing: sharded.p[lo..<hi]),
                                  gradients: UnsafeBufferPointer(rebasing: sharded.g[lo..<hi]), lr: lr)
            }
            for i in 0..<count {
                XCTAssertEqual(whole.p[i].bitPattern, sharded.p[i].bitPattern, "p[\(i)] at step \(step)")
                XCTAssertEqual(whole.m[i].bitPattern, sharded.m[i].bitPattern, "m[\(i)] at step \(step)")
                XCTAssertEqual(whole.v[i].bitPattern, sharded.v[i].bitPattern, "v[\(i)] at step \(step)")
            }
        }
    }

    /// The update spread over parts (as the lanes' threads run it) is the whole buffer's, bit for bit,
    /// and every part is visited once; the step is counted once.
    func testPartsGiveTheSameBitsAsOnePass() {
        let count = 1003
        var rng = SeededGenerator(seed: 7)
        let (whole, split) = twins(count: count, &rng)
        let one = AdamW(config: AdamWConfig(), m: whole.m, v: whole.v)
        let three = AdamW(config: AdamWConfig(), m: split.m, v: split.v)
        for step in 1...3 {
            for i in 0..<count { whole.g[i] = rng.float(1); split.g[i] = whole.g[i] }
            one.step(parameters: whole.p, gradients: UnsafeBufferPointer(whole.g), lr: 1e-3)
            var visited: [Int] = []
            three.step(parameters: split.p, gradients: UnsafeBufferPointer(split.g), lr: 1e-3) { body in
                for part in [2, 0, 1] { visited.append(part); body(part, 3) }
            }
            XCTAssertEqual(visited, [2, 0, 1])
            XCTAssertEqual(three.stepCount, step)
            for i in 0..<count {
                XCTAssertEqual(whole.p[i].bitPattern, split.p[i].bitPattern, "p[\(i)] at step \(step)")
                XCTAssertEqual(whole.m[i].bitPattern, split.m[i].bitPattern, "m[\(i)] at step \(step)")
                XCTAssertEqual(whole.v[i].bitPattern, split.v[i].bitPattern, "v[\(i)] at step \(step)")
            }
        }
    }

    func testResumingFromAStepCountContinuesTheBiasCorrection() {
        // Run 5 steps, then start a second optimizer from copies of p, m, v with stepCount = 5:
        // its next step must equal the first optimizer's sixth.
        let count = 21
        var rng = SeededGenerator(seed: 5)
        let a = Buffers(count: count), b = Buffers(count: count)
        for i in 0..<count { a.p[i] = rng.float(1) }
        let optA = AdamW(config: AdamWConfig(), m: a.m, v: a.v)
        for _ in 0..<5 {
            for i in 0..<count { a.g[i] = rng.float(1) }
            optA.step(parameters: a.p, gradients: UnsafeBufferPointer(a.g), lr: 8e-4)
        }
        for i in 0..<count { b.p[i] = a.p[i]; b.m[i] = a.m[i]; b.v[i] = a.v[i] }
        let optB = AdamW(config: AdamWConfig(), m: b.m, v: b.v)
        optB.stepCount = 5
        for i in 0..<count { a.g[i] = rng.float(1); b.g[i] = a.g[i] }
        optA.step(parameters: a.p, gradients: UnsafeBufferPointer(a.g), lr: 8e-4)
        optB.step(parameters: b.p, gradients: UnsafeBufferPointer(b.g), lr: 8e-4)
        XCTAssertEqual(optB.stepCount, 6)
        for i in 0..<count { XCTAssertEqual(a.p[i], b.p[i], "p[\(i)]") }
    }

    func testEmptyBufferOnlyCountsTheStep() {
        let b = Buffers(count: 0)
        let opt = AdamW(config: AdamWConfig(), m: b.m, v: b.v)
        opt.step(parameters: b.p, gradients: UnsafeBufferPointer(b.g), lr: 1e-3)
        XCTAssertEqual(opt.stepCount, 1)
    }

    func testConfigDefaultsCodableAndValidation() throws {
        let d = AdamWConfig()
        XCTAssertEqual(d.lr, 8e-4); XCTAssertEqual(d.beta1, 0.9); XCTAssertEqual(d.beta2, 0.95)
        XCTAssertEqual(d.eps, 1e-8); XCTAssertEqual(d.weightDecay, 0.1)
        let partial = try JSONDecoder().decode(AdamWConfig.self, from: Data(#"{"lr": 0.001}"#.utf8))
        XCTAssertEqual(partial, AdamWConfig(lr: 0.001))
        let back = try JSONDecoder().decode(AdamWConfig.self, from: JSONEncoder().encode(d))
        XCTAssertEqual(back, d)
        try d.validate()
        XCTAssertThrowsError(try AdamWConfig(beta2: 1).validate()) { error in
            XCTAssertEqual((error as? OptimConfigError)?.field, "beta2")
        }
        XCTAssertThrowsError(try AdamWConfig(weightDecay: -1).validate()) { error in
            XCTAssertEqual((error as? OptimConfigError)?.field, "weightDecay")
        }
    }
}
