import Compare
import XCTest

/// The verdicts in words, exactly as compare prints them.
final class VerdictTextTests: XCTestCase {
    func line(_ a: RunCurve, _ b: RunCurve, live: Bool = false, alignment: Alignment = .step) -> String {
        let comparison = Comparison(runs: [a, b], rtol: 1e-5, alignment: alignment)
        return VerdictText.line(comparison.pairs[0].verdict, rtol: 1e-5, alignment: alignment, live: live)
    }

    func testEachVerdictSaysWhatItFoundAndWhere() {
        let a = Curves.curve(mesh: Curves.replicate4, loss: Curves.loss, gradNorm: Curves.gradNorm)
        XCTAssertEqual(line(a, a), "identical within 1e-5 to step 8")
        let seed = Curves.curve(loss: Curves.nudged(Curves.loss, from: 0, by: 0.043), gradNorm: Curves.gradNorm)
        XCTAssertEqual(line(a, seed), "diverges from step 1: loss 4.1e-2 relative (initialisation or data differ)")
        let later = Curves.curve(loss: Curves.nudged(Curves.loss, from: 6, by: 3.1e-3), gradNorm: Curves.gradNorm)
        XCTAssertEqual(line(a, later), "diverges at step 7: loss 3.1e-3 relative (gradient reduction or optimizer); identical within 1e-5 to step 6")
        XCTAssertEqual(line(a, later, live: true), "diverged at step 7: loss 3.1e-3 relative (gradient reduction or optimizer); identical within 1e-5 to step 6")
        let doubled = Curves.curve(mesh: Curves.hsdp22, loss: Curves.loss, gradNorm: Curves.gradNorm.map { $0 * 2 })
        XCTAssertEqual(line(a, doubled), "grad norm ratio a near-constant 2.000 (= dp_replicate 2 and dp_shard 2 of [2, 2] hsdp); "
                       + "loss identical within 1e-5")
        let rooted = Curves.curve(mesh: Curves.fsdp4, loss: Curves.loss, gradNorm: Curves.gradNorm.map { $0 / 2 })
        XCTAssertEqual(line(a, rooted), "grad norm ratio a near-constant 0.5000 (= 1/sqrt(dp 4) and 1/sqrt(dp_replicate 4) of "
                       + "[4, 1] replicate, 1/sqrt(dp 4) and 1/sqrt(dp_shard 4) of [1, 4] fsdp); loss identical within 1e-5")
        let tripled = Curves.curve(loss: Curves.nudged(Curves.loss, from: 2, by: 0.01), gradNorm: Curves.gradNorm.map { $0 / 3 })
        XCTAssertEqual(line(a, tripled), "grad norm ratio a near-constant 0.3333 (no mesh degree of either run); "
                       + "loss diverges at step 3: 9.9e-3 relative; identical within 1e-5 to step 2")
        XCTAssertEqual(line(a, Curves.curve(steps: [20], loss: [1])), "no step in common")
        XCTAssertEqual(line(a, Curves.curve(steps: [20], loss: [1]), live: true, alignment: .tokens), "no token count in common yet")
    }

    func testFiguresAreShortAndUnpadded() {
        XCTAssertEqual(Figures.short(1e-5), "1e-5")
        XCTAssertEqual(Figures.short(0.001), "0.001")
        XCTAssertEqual(Figures.short(2.5e-7), "2.5e-7")
        XCTAssertEqual(Figures.relative(0.0031), "3.1e-3")
        XCTAssertEqual(Figures.relative(0), "0")
        XCTAssertEqual(Figures.relative(.infinity), "inf")
        XCTAssertEqual(Figures.ratio(2), "2.000")
        XCTAssertEqual(Figures.ratio(0.5), "0.5000")
        XCTAssertEqual(Figures.value(7.601234), "7.60123")
        XCTAssertEqual(Figures.value(1.5e-8), "1.5000e-8")
        XCTAssertEqual(Figures.grouped(81920), "81,920")
    }
}
