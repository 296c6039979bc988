import Foundation
import Telemetry
import TestSupport
import XCTest

/// The losses by step of a headless `meshtop run` (its metrics file), asserting it succeeded.
func meshtopLosses(_ options: [String], _ environment: [String: String], _ folder: URL, _ name: String,
                   file: StaticString = #filePath, line: UInt = #line) throws -> [Int: Double] {
    let metrics = folder.appendingPathComponent("\(name).jsonl").path
    let result = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--no-tui", "--metrics-file", metrics]
                                       + options, environment: environment, timeout: 300)
    XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)", file: file, line: line)
    var losses: [Int: Double] = [:]
    for record in try TelemetryFileReader.readAll(path: metrics).records {
        if case .step(let step) = record.event { losses[step.step] = step.loss }
    }
    return losses
}
