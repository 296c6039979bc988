import Compare
import Dashboard
import Telemetry
import Terminal
import XCTest

/// `run --compare REF` in the dashboard: the live run judged against REF at every step, REF's
/// loss on the chart, and the verdict under it.
final class LiveReferenceTests: XCTestCase {
    /// REF: the small run's own steps (as a recording of the same run would be), on (4, 1),
    /// with its loss changed from `partFrom` on (nil: unchanged).
    static func reference(partFrom: Int? = nil, steps: Int = 40) -> LiveReference {
        var curve = RunCurve(name: "ref-4x1.jsonl", meshes: [MeshLayout(replicate: 4, shard: 1, strategy: "replicate")])
        for n in 1 ... steps {
            let loss = Fixtures.loss(n) * (partFrom.map { n >= $0 ? 1.003 : 1 } ?? 1)
            curve.add(CurvePoint(step: n, tokens: n * 8192, loss: loss, gradNorm: 0.7 + 0.1 * cos(Double(n))))
        }
        return LiveReference(reference: curve, rtol: 1e-5)
    }

    func state(_ reference: LiveReference, steps: Int? = nil) -> DashboardState {
        let inputs = Fixtures.smallRun()
        var state = DashboardState()
        state.apply(.reference(reference))
        var seen = 0
        for input in inputs {
            if case .record(let r) = input, case .step = r.event { seen += 1; if let steps, seen > steps { break } }
            state.apply(input)
        }
        return state
    }

    func testTheVerdictFollowsTheRunStepByStep() {
        XCTAssertEqual(state(Self.reference(), steps: 3).reference?.line, "vs ref-4x1.jsonl: identical within 1e-5 to step 3")
        XCTAssertEqual(state(Self.reference()).reference?.line, "vs ref-4x1.jsonl: identical within 1e-5 to step 24")
        XCTAssertEqual(state(Self.reference(partFrom: 7), steps: 6).reference?.verdict, .identical(throughStep: 6))
        XCTAssertEqual(state(Self.reference(partFrom: 7)).reference?.line,
                       "vs ref-4x1.jsonl: diverged at step 7: loss 3.0e-3 relative (gradient reduction or optimizer); identical within 1e-5 to step 6")
        XCTAssertEqual(state(Self.reference(partFrom: 1)).reference?.verdict.kind, "diverges_from_start")
        XCTAssertEqual(DashboardState().reference, nil)
    }

    func testTheLossChartDrawsTheReferenceAndItsVerdict() {
        let identical = state(Self.reference())
        assertSnapshot(render(identical, width: 80, height: 24), named: "reference-identical-80x24")
        let diverged = state(Self.reference(partFrom: 7))
        assertSnapshot(render(diverged, width: 160, height: 48), named: "reference-diverged-160x48")
        assertSnapshot(render(diverged, width: 80, height: 24, glyphs: .ascii), named: "reference-diverged-80x24-ascii")
        // REF's loss has its own style on the chart, unlike the live curves'.
        var buffer = render(diverged, width: 160, height: 48)
        let styles = Set(buffer.cells.filter { (0x2801 ... 0x28FF).contains($0.scalar.value) }.map(\.style))
        XCTAssertGreaterThanOrEqual(styles.count, 3, "raw, smoothed and REF")
        let line = try? XCTUnwrap(buffer.lines.first { $0.contains("vs ref-4x1.jsonl: diverged at step 7") })
        XCTAssertNotNil(line, buffer.text)
        buffer = render(Fixtures.state(Fixtures.smallRun()), width: 160, height: 48)
        XCTAssertFalse(buffer.text.contains("vs ref"), "no reference, no line")
    }
}
