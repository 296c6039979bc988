import Foundation
import RunSources
import RunSpec
import Telemetry
import TestSupport
import XCTest

/// RunLoader: which kind a path is, and the one-line refusals of paths that are no run.
final class RunLoaderTests: XCTestCase {
    func testARecordingLoadsWithItsMalformedLinesCounted() throws {
        let folder = try makeTemporaryFolder(for: self, "loader")
        let file = folder.appendingPathComponent("run.jsonl")
        let writer = try TelemetryFileWriter(path: file.path)
        let step = Telemetry.Step(step: 1, loss: 8.0, gradNorm: 0.7, lr: 4e-4, ranks: [])
        try writer.write(.step(step), time: 10)
        try writer.close()
        try (String(contentsOf: file, encoding: .utf8) + "not json\n").write(to: file, atomically: true, encoding: .utf8)
        let run = try RunLoader.load(file.path)
        XCTAssertEqual(run.source, .recording)
        XCTAssertEqual(run.steps, [step])
        XCTAssertNil(run.hello)
        XCTAssertEqual(run.skipped, ["\(file.path): 1 malformed line(s) skipped"])
    }

    func testPathsThatAreNoRunAreRefusedNamingThem() throws {
        let folder = try makeTemporaryFolder(for: self, "loader-bad")
        let missing = folder.appendingPathComponent("nothing.jsonl").path
        XCTAssertThrowsError(try RunLoader.load(missing)) { XCTAssertEqual("\($0)", "\(missing): no such file or folder") }
        let empty = folder.appendingPathComponent("empty")
        try Data().write(to: empty)
        XCTAssertThrowsError(try RunLoader.load(empty.path)) { XCTAssertTrue("\($0)".hasPrefix("\(empty.path): "), "\($0)") }
    }
}
