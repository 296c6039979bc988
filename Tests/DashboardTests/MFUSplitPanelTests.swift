import Foundation
import XCTest
import Dashboard
import RunSpec
import Telemetry
import Terminal

/// The throughput panel's one-line split of MFU: shown beside the gauge in the longest form that
/// fits, its figures multiplying back to the MFU shown; absent for recordings without GEMM figures.
final class MFUSplitPanelTests: XCTestCase {
    func testThePanelSplitsTheMFUItShows() throws {
        let state = Fixtures.state(Fixtures.smallRun())
        let split = try XCTUnwrap(state.throughput.mfuSplit)
        XCTAssertEqual(split.modelPerGemmFlop, 1.114, accuracy: 1e-9)
        let (gemm, busy, free) = (percent(split.gemmOfPeak), percent(split.inGemms), percent(split.notWaiting))
        let forms = [(160, 48, "gemm \(gemm) of peak x \(busy) in gemm x \(free) not waiting x 1.114"),
                     (80, 24, "\(gemm) x \(busy) x \(free) x 1.114")]
        for (width, height, form) in forms {
            let shown = try MFUSplitScreen.read(render(state, width: width, height: height).text)
            XCTAssertEqual(shown.text, form, "\(width)x\(height)")
            XCTAssertEqual(shown.product, shown.mfu, accuracy: 0.5, "\(width)x\(height): \(shown.line)")
            XCTAssertEqual(shown.product, 100 * split.product, accuracy: 0.05, "rounded to a tenth of a percent")
        }
        // The ranks' mean MFU (the gauge) against the split of their sums: the same to far less than half a point.
        XCTAssertEqual(100 * split.product, try XCTUnwrap(state.throughput.mfu.last), accuracy: 0.05)
    }

    private func percent(_ fraction: Double) -> String { String(format: "%.1f%%", 100 * fraction) }

    func testARecordingWithoutGEMMFiguresHasNoSplit() throws {
        var inputs: [DashboardInput] = []
        for input in Fixtures.smallRun() {
            guard case var .record(record) = input, case var .step(step) = record.event else { inputs.append(input); continue }
            step.ranks = step.ranks.map { var r = $0; r.gemmFlops = nil; r.seconds.gemm = nil; r.mfuSplit = nil; return r }
            record.event = .step(step)
            inputs.append(.record(record))
        }
        let state = Fixtures.state(inputs)
        XCTAssertNil(state.throughput.mfuSplit)
        XCTAssertNil(try? MFUSplitScreen.read(render(state, width: 160, height: 48).text))
        XCTAssertTrue(render(state, width: 160, height: 48).text.contains("% of 89.6 GF/s (cached 2h ago)"))
    }

    func testTheRankDetailsSplitThatRanksMFU() throws {
        let state = Fixtures.state(Fixtures.smallRun())
        var view = ViewState()
        view.selectedRank = 3
        view.overlay = .details
        let text = render(state, view, width: 80, height: 30).text
        let rank = try XCTUnwrap(state.ranks.first { $0.rank == 3 })
        let lines = text.split(separator: "\n").map(String.init)
        let head = try XCTUnwrap(lines.firstIndex { $0.contains("mfu \(String(format: "%.1f", rank.mfu))% =") }, text)
        let factors = MFUSplitScreen.numbers(lines[head + 1])
        XCTAssertEqual(factors.count, 4, lines[head + 1])
        XCTAssertEqual(factors[0] * factors[1] * factors[2] / 1e4 * factors[3], rank.mfu, accuracy: 0.05, lines[head + 1])
    }
}

/// The MFU and its split as the throughput panel draws them.
enum MFUSplitScreen {
    struct Shown { let line: String; let text: String; let mfu: Double; let product: Double }

    static func read(_ screen: String) throws -> Shown {
        let lines = screen.split(separator: "\n").map(String.init)
        guard let gauge = lines.firstIndex(where: { $0.contains("MFU ") && $0.contains("% of ") }), gauge + 1 < lines.count,
              let equals = lines[gauge + 1].range(of: "│  =    ") ?? lines[gauge + 1].range(of: "|  =    ")
        else { throw NSError(domain: "no MFU split on screen", code: 1, userInfo: [NSLocalizedDescriptionKey: screen]) }
        let line = lines[gauge + 1]
        let text = String(line[equals.upperBound...].prefix { $0 != "│" && $0 != "|" }).trimmingCharacters(in: .whitespaces)
        let percent = try XCTUnwrap(lines[gauge].range(of: #"[0-9.]+% of "#, options: .regularExpression))
        let mfu = try XCTUnwrap(Double(lines[gauge][percent].prefix { $0 != "%" }))
        let factors = numbers(text)
        guard factors.count == 4 else { throw NSError(domain: "not four factors: \(text)", code: 2) }
        return Shown(line: line, text: text, mfu: mfu, product: factors[0] * factors[1] * factors[2] / 1e4 * factors[3])
    }

    /// The numbers of a line, a trailing % dropped.
    static func numbers(_ text: String) -> [Double] {
        text.split(whereSeparator: { $0 == " " || $0 == "│" || $0 == "|" })
            .compactMap { Double($0.hasSuffix("%") ? $0.dropLast() : $0) }
    }
}
