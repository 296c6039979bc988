import Compare
import Dashboard
import Terminal
import XCTest

/// The compare view rendered from constructed runs at 80x24 and 160x48, compared with stored text.
final class CompareSnapshotTests: XCTestCase {
    func render(_ comparison: Comparison, _ view: CompareViewState = CompareViewState(), width: Int, height: Int,
                glyphs: Glyphs = .unicode, theme: Theme = .defaultDark) -> Buffer {
        var buffer = Buffer(width: width, height: height)
        CompareView.render(comparison, view, theme: theme, glyphs: glyphs, into: &buffer)
        return buffer
    }

    func testThreeRunsAtBothSizes() {
        let comparison = CompareFixtures.threeRuns()
        assertSnapshot(render(comparison, width: 80, height: 24), named: "compare-3runs-80x24")
        assertSnapshot(render(comparison, width: 160, height: 48), named: "compare-3runs-160x48")
    }

    func testEveryVerdictWithGradNormBesideTheLoss() {
        var view = CompareViewState()
        view.series = .both
        assertSnapshot(render(CompareFixtures.fiveRuns(), view, width: 160, height: 48), named: "compare-5runs-both-160x48")
    }

    func testByTokensWithAbsoluteDifferencesOnALogScale() {
        var view = CompareViewState(alignment: .tokens)
        view.difference = .absolute
        view.logScale = true
        view.series = .gradNorm
        let comparison = CompareFixtures.fiveRuns().aligned(by: .tokens)
        assertSnapshot(render(comparison, view, width: 160, height: 48), named: "compare-5runs-tokens-abs-160x48")
    }

    func testAsciiHelpAndTooSmall() {
        let comparison = CompareFixtures.threeRuns()
        assertSnapshot(render(comparison, width: 80, height: 24, glyphs: .ascii), named: "compare-3runs-80x24-ascii")
        var view = CompareViewState()
        view.showHelp = true
        assertSnapshot(render(comparison, view, width: 80, height: 24), named: "compare-help-80x24")
        assertSnapshot(render(comparison, width: 70, height: 20), named: "compare-too-small-70x20")
    }
}
