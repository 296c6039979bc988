import Foundation
import XCTest
import Dashboard
import Telemetry
import Terminal

/// A run from a torchtitan log on GPUs: its peak in the unit it reads in, and the step times the
/// log does not give said to be missing rather than drawn as 0.
final class ForeignRunPanelTests: XCTestCase {
    func testAGPUPeakReadsInTFLOPsAndMissingStepTimesAreSaidToBe() throws {
        let inputs: [DashboardInput] = Fixtures.smallRun().map { input in
            guard case var .record(record) = input else { return input }
            switch record.event {
            case .hello(var hello):
                hello.peak = PeakInfo(flops: 9.89e14, source: "given", detail: "a torchtitan log's Peak FLOPS")
                record.event = .hello(hello)
            case .step(var step):
                step.peak = nil
                step.ranks = step.ranks.map { var r = $0; r.seconds = StepSeconds(); return r }
                record.event = .step(step)
            default: break
            }
            return .record(record)
        }
        let text = render(Fixtures.state(inputs), width: 160, height: 48).text
        XCTAssertTrue(text.contains("of 989 TF/s"), text)
        XCTAssertFalse(text.contains("989k GF/s"), text)
        XCTAssertNotNil(text.range(of: #"step +not in the source"#, options: .regularExpression), text)
    }

    func testACPUPeakStaysInGFLOPs() {
        let text = render(Fixtures.state(Fixtures.smallRun()), width: 160, height: 48).text
        XCTAssertTrue(text.contains("of 89.6 GF/s"), text)
    }
}
