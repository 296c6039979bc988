import Compare
import Telemetry
import XCTest

/// The verdicts on constructed curves, edge cases included.
final class VerdictTests: XCTestCase {
    let rtol = 1e-5

    func verdict(_ a: RunCurve, _ b: RunCurve, by alignment: Alignment = .step) -> Verdict {
        Comparison(runs: [a, b], rtol: rtol, alignment: alignment).pairs[0].verdict
    }

    func testTheSameCurveWithinRtolIsIdenticalToItsLastStep() {
        let a = Curves.curve(mesh: Curves.replicate4, loss: Curves.loss, gradNorm: Curves.gradNorm)
        let b = Curves.curve(mesh: Curves.hsdp22, loss: Curves.nudged(Curves.loss, from: 0, by: 4e-6),
                             gradNorm: Curves.nudged(Curves.gradNorm, from: 3, by: -9e-6))
        let comparison = Comparison(runs: [a, b], rtol: rtol)
        XCTAssertEqual(comparison.pairs[0].verdict, .identical(throughStep: 8))
        XCTAssertTrue(comparison.allWithinTolerance)
        XCTAssertEqual(comparison.pairs[0].points.count, 8)
        XCTAssertEqual(comparison.pairs[0].largestLoss!.relative, 4e-6 / (1 + 4e-6), accuracy: 1e-12)
    }

    func testAnotherInitialisationDivergesFromStepOne() {
        let a = Curves.curve(loss: Curves.loss, gradNorm: Curves.gradNorm)
        let b = Curves.curve(loss: Curves.nudged(Curves.loss, from: 0, by: 0.02), gradNorm: Curves.gradNorm.reversed())
        guard case .divergesFromStart(let d) = verdict(a, b) else { return XCTFail("\(verdict(a, b))") }
        XCTAssertEqual(d.step, 1)
        XCTAssertEqual(d.series, [.loss, .gradNorm])
        XCTAssertEqual(d.relative, 0.02 / 1.02, accuracy: 1e-12)
        XCTAssertNil(d.lastAgreeingStep)
    }

    func testAgreeingAtFirstThenPartingDivergesLaterAtThatStep() {
        let a = Curves.curve(loss: Curves.loss, gradNorm: Curves.gradNorm)
        let b = Curves.curve(loss: Curves.nudged(Curves.loss, from: 4, by: 1e-3), gradNorm: Curves.nudged(Curves.gradNorm, from: 2, by: 5e-3))
        guard case .divergesLater(let d) = verdict(a, b) else { return XCTFail("\(verdict(a, b))") }
        XCTAssertEqual(d.step, 3, "the grad norm parts first, at step 3")
        XCTAssertEqual(d.series, [.gradNorm])
        XCTAssertEqual(d.lastAgreeingStep, 2)
    }

    func testAGradNormScaledByTwoIsANearConstantRatioNamingTheDegreesItEquals() {
        let a = Curves.curve(mesh: Curves.replicate4, loss: Curves.loss, gradNorm: Curves.gradNorm)
        let b = Curves.curve(mesh: Curves.hsdp22, loss: Curves.loss, gradNorm: Curves.gradNorm.map { $0 * 2 })
        guard case .gradNormRatio(let ratio, let loss) = verdict(a, b) else { return XCTFail("\(verdict(a, b))") }
        XCTAssertEqual(ratio.k, 2, accuracy: 1e-12)
        XCTAssertNil(loss, "the loss is within rtol throughout")
        XCTAssertEqual(ratio.points, 8)
        let named = ratio.degrees.map { "\($0.run.rawValue) \($0.degree.rawValue) \($0.value) root \($0.root) inverse \($0.inverse)" }
        // sqrt(4) of the first run's [4, 1] is 2 as well, but a degree itself matches: no roots.
        XCTAssertEqual(named, ["other dp_replicate 2 root false inverse false", "other dp_shard 2 root false inverse false"])
        XCTAssertFalse(verdict(a, b).isWithinTolerance)
    }

    func testAQuarterGradNormNamesTheInverseOfTheDataParallelDegree() {
        let a = Curves.curve(mesh: Curves.fsdp4, loss: Curves.loss, gradNorm: Curves.gradNorm)
        let b = Curves.curve(mesh: Curves.fsdp4, loss: Curves.nudged(Curves.loss, from: 3, by: 1e-2),
                             gradNorm: Curves.gradNorm.enumerated().map { $0.element / 4 * (1 + 0.004 * Double($0.offset % 2)) })
        guard case .gradNormRatio(let ratio, let loss) = verdict(a, b) else { return XCTFail("\(verdict(a, b))") }
        XCTAssertEqual(ratio.k, 0.25 * 1.002, accuracy: 1e-12, "the median of 0.25 and 0.251")
        XCTAssertEqual(loss?.step, 4)
        XCTAssertEqual(Set(ratio.degrees.map(\.degree)), [.dp, .dpShard])
        XCTAssertTrue(ratio.degrees.allSatisfy { $0.inverse && !$0.root })
    }

    func testARatioThatMovesOrStaysNearOneIsNoRatioVerdict() {
        let a = Curves.curve(loss: Curves.loss, gradNorm: Curves.gradNorm)
        let moving = Curves.curve(loss: Curves.loss, gradNorm: Curves.gradNorm.enumerated().map { $0.element * (2 + 0.05 * Double($0.offset)) })
        XCTAssertEqual(verdict(a, moving).kind, "diverges_from_start")
        let nearOne = Curves.curve(loss: Curves.loss, gradNorm: Curves.gradNorm.map { $0 * 1.05 })
        XCTAssertEqual(verdict(a, nearOne).kind, "diverges_from_start")
    }

    func testRunsOfDifferentLengthsAreJudgedWhereBothHaveSteps() {
        let long = Curves.curve(loss: Curves.loss)
        let short = Curves.curve(loss: Array(Curves.loss.prefix(3)))
        XCTAssertEqual(verdict(long, short), .identical(throughStep: 3))
        XCTAssertEqual(verdict(short, long), .identical(throughStep: 3))
    }

    func testMissingStepsAreSkippedAndADivergenceNamesTheStepWhereItIsSeen() {
        let every = Curves.curve(loss: Curves.loss)
        let someSteps = Curves.curve(steps: [1, 4, 8], loss: [Curves.loss[0], Curves.loss[3], Curves.loss[7] * 1.01])
        let comparison = Comparison(runs: [every, someSteps], rtol: rtol)
        XCTAssertEqual(comparison.pairs[0].points.map(\.reference.step), [1, 4, 8])
        guard case .divergesLater(let d) = comparison.pairs[0].verdict else { return XCTFail("\(comparison.pairs[0].verdict)") }
        XCTAssertEqual(d.step, 8)
        XCTAssertEqual(d.lastAgreeingStep, 4)
    }

    func testNonFiniteLossesAgreeOnlyWithTheSameNonFiniteValue() {
        let blowsUp = Curves.curve(loss: [7.6, 7.1, .nan, .infinity], gradNorm: [1, 1, .nan, .infinity])
        XCTAssertEqual(verdict(blowsUp, blowsUp), .identical(throughStep: 4), "two runs that blow up at the same step")
        let finite = Curves.curve(loss: [7.6, 7.1, 6.8, 6.5], gradNorm: [1, 1, 1, 1])
        guard case .divergesLater(let d) = verdict(finite, blowsUp) else { return XCTFail("\(verdict(finite, blowsUp))") }
        XCTAssertEqual(d.step, 3)
        XCTAssertEqual(d.relative, .infinity)
        let pair = Comparison(runs: [finite, blowsUp], rtol: rtol).pairs[0]
        XCTAssertEqual(pair.largestLoss?.relative, .infinity)
    }

    func testASingleStepIsIdenticalOrDivergesFromStepOneButNeverARatio() {
        let one = Curves.curve(loss: [7.6], gradNorm: [1.2])
        XCTAssertEqual(verdict(one, one), .identical(throughStep: 1))
        let doubled = Curves.curve(loss: [7.6], gradNorm: [2.4])
        guard case .divergesFromStart(let d) = verdict(one, doubled) else { return XCTFail("\(verdict(one, doubled))") }
        XCTAssertEqual(d.series, [.gradNorm])
        XCTAssertEqual(d.relative, 0.5, accuracy: 1e-15)
    }

    func testAZeroGradNormAgreesWithZeroAndTakesNoPartInTheRatio() {
        let a = Curves.curve(loss: [7.6, 7.1, 6.8], gradNorm: [0, 1, 2])
        XCTAssertEqual(verdict(a, a), .identical(throughStep: 3))
        let b = Curves.curve(loss: [7.6, 7.1, 6.8], gradNorm: [0, 2, 4])
        guard case .gradNormRatio(let ratio, nil) = verdict(a, b) else { return XCTFail("\(verdict(a, b))") }
        XCTAssertEqual(ratio.points, 2)
        XCTAssertEqual(ratio.k, 2)
        let zeroAgainstSome = Curves.curve(loss: [7.6, 7.1, 6.8], gradNorm: [1e-9, 1, 2])
        XCTAssertEqual(verdict(a, zeroAgainstSome).kind, "diverges_from_start")
    }

    func testNoPointInCommonIsNothingInCommon() {
        let early = Curves.curve(steps: [1, 2], loss: [7, 6])
        let late = Curves.curve(steps: [3, 4], loss: [7, 6])
        XCTAssertEqual(verdict(early, late), .nothingInCommon)
        XCTAssertFalse(Comparison(runs: [early, late], rtol: rtol).allWithinTolerance)
        XCTAssertEqual(verdict(early, RunCurve(name: "empty")), .nothingInCommon)
    }

    func testByTokensRunsOfDifferentBatchesMeetWhereTheyHaveSeenAsManyTokens() {
        // Batch 512 a step against 256 a step: step k of the first is step 2k of the second.
        let big = Curves.curve(loss: [7.0, 6.0, 5.0], tokensPerStep: 512)
        let small = Curves.curve(loss: [7.5, 7.0, 6.5, 6.0, 5.5, 5.0], gradNorm: [0.75, 0.7, 0.65, 0.6, 0.55, 0.5])
        let byTokens = Comparison(runs: [big, small], rtol: rtol, alignment: .tokens)
        XCTAssertEqual(byTokens.pairs[0].points.map(\.other.step), [2, 4, 6])
        XCTAssertEqual(byTokens.pairs[0].verdict, .identical(throughStep: 3))
        XCTAssertEqual(byTokens.aligned(by: .step).pairs[0].verdict.kind, "diverges_from_start")
        XCTAssertEqual(byTokens.aligned(by: .step).aligned(by: .tokens), byTokens)
    }

    func testEveryRunIsJudgedAgainstTheFirst() {
        let a = Curves.curve("a", loss: Curves.loss, gradNorm: Curves.gradNorm.reversed())
        let same = Curves.curve("b", loss: Curves.loss, gradNorm: Curves.gradNorm.reversed())
        let other = Curves.curve("c", loss: Curves.nudged(Curves.loss, from: 0, by: 0.1), gradNorm: Curves.gradNorm)
        let comparison = Comparison(runs: [a, same, other], rtol: rtol)
        XCTAssertEqual(comparison.pairs.map(\.other), [1, 2])
        XCTAssertEqual(comparison.pairs.map(\.verdict.kind), ["identical", "diverges_from_start"])
        XCTAssertFalse(comparison.allWithinTolerance)
    }
}
