import XCTest
import Dashboard
import Telemetry
import Terminal

/// Telemetry carries NaN and the infinities (a diverged run) and whatever a rank measured:
/// drawing must never trap, at any size. A trap here ends the test process, failing the run.
final class RobustnessTests: XCTestCase {
    private func divergedRun(world: Int, shard: Int) -> [DashboardInput] {
        var inputs = [Fixtures.hello(replicate: world / shard, shard: shard, steps: 10, time: Fixtures.start)]
        let odd: [Double] = [.nan, .infinity, -.infinity, 1e300, -1e300, 0, -1]
        for (i, value) in odd.enumerated() {
            var ranks = (0 ..< world).map { Fixtures.rankStep($0, step: i + 1, shard: shard) }
            for r in ranks.indices where r % 2 == i % 2 {
                ranks[r].seconds = StepSeconds(total: value, data: value, compute: value, communication: value, optimizer: value)
                ranks[r].tokensPerSecond = value
                ranks[r].mfu = value
                ranks[r].tflops = value
                ranks[r].memory["activations"] = i % 3 == 0 ? -5 : Int.max / 4
                ranks[r].residentBytes = i % 2 == 0 ? -1 : Int.max / 4
            }
            let step = Step(step: i + 1, loss: value, gradNorm: value, lr: value, ranks: ranks)
            inputs.append(Fixtures.record(i % 2 == 0 ? value : Fixtures.start + Double(i), .step(step)))
        }
        inputs.append(Fixtures.record(.nan, .checkpoint(Checkpoint(step: -3, path: "", bytes: -1, seconds: .nan))))
        return inputs
    }

    func testOddFiguresDrawWithoutTrapping() {
        for (world, shard) in [(4, 2), (128, 16), (1, 1)] {
            let state = Fixtures.state(divergedRun(world: world, shard: shard))
            var view = ViewState()
            view.showGradNorm = true
            view.showLR = true
            view.selectedRank = world + 5  // beyond the mesh: clamped
            for logScale in [false, true] {
                view.logScale = logScale
                for overlay in [ViewState.Overlay.none, .details] {
                    view.overlay = overlay
                    for (width, height) in [(80, 24), (160, 48), (81, 25), (300, 90)] {
                        let buffer = render(state, view, width: width, height: height)
                        XCTAssertTrue(buffer.text.contains("step 7/10"), "\(world) ranks at \(width)x\(height)")
                    }
                }
            }
        }
    }

    func testMeshOfNoRanksDraws() {
        let empty = MeshLayout(replicate: 0, shard: 0, strategy: "?")
        var inputs = [Fixtures.hello(replicate: 1, shard: 1, steps: 1, time: 0)]
        if case .record(let record) = inputs[0], case .hello(var hello) = record.event {
            hello.mesh = empty
            inputs = [Fixtures.record(0, .hello(hello)), Fixtures.step(1, world: 3, shard: 1, time: 1)]
        }
        var view = ViewState()
        view.overlay = .details
        let text = render(Fixtures.state(inputs), view, width: 80, height: 24).text
        XCTAssertTrue(text.contains("mesh [0, 0]"), text)
    }

    func testAnySizeDraws() {
        let state = Fixtures.state(Fixtures.bigMesh())
        for (width, height) in [(0, 0), (1, 1), (5, 3), (79, 24), (80, 23), (80, 24), (1000, 5)] {
            let buffer = render(state, width: width, height: height)
            XCTAssertEqual(buffer.width, width)
        }
    }
}
