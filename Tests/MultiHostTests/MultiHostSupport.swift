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

/// Returns once the metrics file holds step `step` or later; throws if the job ends or 120 s pass first.
func waitForStep(_ step: Int, _ metrics: String, _ job: BackgroundJob) throws {
    let deadline = Date().addingTimeInterval(120)
    while Date() < deadline && job.isRunning {
        let records = (try? TelemetryFileReader.readAll(path: metrics).records) ?? []
        if records.contains(where: { if case .step(let s) = $0.event { return s.step >= step }; return false }) { return }
        usleep(20_000)
    }
    throw TestSupportError("no step \(step) within 120 s: \(job.stderr)")
}
