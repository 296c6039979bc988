import XCTest
import Dashboard
import Terminal

/// The loss chart's axes: what the zoom shows and where the whole run's axis ends.
final class LossPanelTests: XCTestCase {
    private func run(steps: Int, total: Int) -> DashboardState {
        var inputs = [Fixtures.hello(replicate: 1, shard: 1, steps: total, time: 0)]
        for n in 1 ... steps { inputs.append(Fixtures.step(n, world: 1, shard: 1, time: Double(n))) }
        return Fixtures.state(inputs)
    }

    /// The row of step labels under the chart (the one ending in "step N").
    private func stepLabels(_ buffer: Buffer) -> String {
        buffer.lines.first { $0.contains(" step ") && $0.contains("│        ") } ?? ""
    }

    func testZoomShowsTheLastSteps() {
        var view = ViewState()
        view.zoom = 50
        let labels = stepLabels(render(run(steps: 200, total: 1000), view, width: 160, height: 48))
        XCTAssertTrue(labels.contains("│        151 "), labels)
        XCTAssertTrue(labels.contains("step 200"), labels)
    }

    func testWholeRunAxisEndsAtARoundStepWithinTheTotal() {
        let state = run(steps: 230, total: 1000)
        XCTAssertTrue(stepLabels(render(state, width: 160, height: 48)).contains("step 500"))
        let nearTheEnd = run(steps: 230, total: 300)
        XCTAssertTrue(stepLabels(render(nearTheEnd, width: 160, height: 48)).contains("step 300"), "never past the total")
    }

    func testLogScaleLabelsAreOnTheLogScale() {
        var view = ViewState()
        view.logScale = true
        let buffer = render(run(steps: 40, total: 40), view, width: 160, height: 48)
        // The loss goes from about 8 to 6.5: on a log scale the middle label (the row (height - 1) / 2,
        // the middle itself only when the height is odd) lies below the straight line between the
        // end labels at its row, as a geometric interpolation lies below the arithmetic one.
        let labels = buffer.lines.enumerated().compactMap { row, line -> (row: Int, value: Double)? in
            guard let bar = line.range(of: "│"), let axis = line[bar.upperBound...].range(of: "│"),
                  let value = Double(line[bar.upperBound ..< axis.lowerBound].trimmingCharacters(in: .whitespaces)) else { return nil }
            return (row, value)
        }
        XCTAssertEqual(labels.count, 3, "\(labels)")
        guard labels.count == 3 else { return }
        let (top, middle, bottom) = (labels[0], labels[1], labels[2])
        let linear = top.value + (bottom.value - top.value) * Double(middle.row - top.row) / Double(bottom.row - top.row)
        XCTAssertLessThan(middle.value, linear - 0.01, "\(labels)")
    }
}
