import Foundation
import TestSupport
import XCTest

/// Issue 8's acceptance: `meshtop plan --np 4` for the debugmodel predicts each rank's memory on
/// (4,1), (2,2) and (1,4); real 4-rank runs of those meshes (mpirun, oversubscribed, one step)
/// must show parameter, gradient and optimizer bytes exactly as predicted (and every other ledger
/// category, and the bytes and calls of every collective), and a resident memory (VmRSS after
/// the step) within 10% of the predicted resident total. Figures come from the metrics file
/// (every rank's, via rank 0).
final class PlanAcceptanceTests: XCTestCase {
    /// The batch of the runs and of the plan: the default seq_len, a smaller batch to keep the test short.
    static let batch = ["--seq-len", "256", "--local-batch-size", "2"]

    func testPlanPredictsRealRunsOfEveryMeshOfFourRanks() throws {
        let predictions = try plan(Self.batch)
        XCTAssertEqual(predictions.map { $0["mesh"] as? String }, ["4x1", "2x2", "1x4"])
        for prediction in predictions { try compare(prediction, options: Self.batch) }
    }

    /// The options that change the step's calls: micro-batches after the first find units 0 and 1
    /// still gathered; without resharding every unit is gathered once and kept.
    func testPlanFollowsGradientAccumulationAndResharding() throws {
        for (mesh, options) in [("2x2", ["--grad-accum", "2"]), ("1x4", ["--no-reshard-after-forward"])] {
            let prediction = try XCTUnwrap(try plan(Self.batch + options).first { $0["mesh"] as? String == mesh })
            try compare(prediction, options: Self.batch + options)
        }
    }

    /// `meshtop plan --np 4 --json` with `options`: one object per mesh.
    private func plan(_ options: [String]) throws -> [[String: Any]] {
        let plan = try ProcessRunner.run([try Products.executable("meshtop"), "plan", "--np", "4", "--json"] + options,
                                         timeout: 60)
        XCTAssertEqual(plan.status, 0, plan.stderr)
        return try plan.stdoutLines.map(Self.object)
    }

    private func compare(_ prediction: [String: Any], options: [String]) throws {
        let mesh = try XCTUnwrap(prediction["mesh"] as? String)
        let memory = try XCTUnwrap(prediction["memory"] as? [String: Int])
        let sent = try XCTUnwrap(prediction["bytes_per_step"] as? [String: Int])
        let calls = try XCTUnwrap(prediction["calls_per_step"] as? [String: Int])
        let resident = try XCTUnwrap(prediction["resident_bytes"] as? Int)
        let ranks = try run(mesh: mesh, options: options)
        XCTAssertEqual(ranks.count, 4)
        for (rank, figures) in ranks.enumerated() {
            let measured = try XCTUnwrap(figures["memory"] as? [String: Int])
            let label = "\(mesh) \(options.joined(separator: " ")) rank \(rank)"
            for category in ["parameters", "gradients", "optimizer"] {
                XCTAssertEqual(measured[category], memory[category], "\(label) \(category)")
            }
            XCTAssertEqual(measured, memory, "\(label): every ledger category")
            let communication = try XCTUnwrap(figures["communication"] as? [String: Any])
            XCTAssertEqual(communication["bytes"] as? [String: Int], sent, "\(label) bytes per collective")
            XCTAssertEqual(communication["calls"] as? [String: Int], calls, "\(label) calls per collective")
            let measuredResident = try XCTUnwrap(figures["residentBytes"] as? Int)
            XCTAssertEqual(Double(resident), Double(measuredResident), accuracy: 0.1 * Double(measuredResident),
                           "\(label) resident: predicted \(resident), measured \(measuredResident)")
            if rank == 0 {
                let error = 100 * Double(resident - measuredResident) / Double(measuredResident)
                print("\(label): resident predicted \(resident) B, measured \(measuredResident) B (\(String(format: "%+.1f", error))%)")
            }
        }
    }

    /// One step of the debugmodel on `mesh` with 4 ranks; every rank's figures of that step.
    private func run(mesh: String, options: [String]) throws -> [[String: Any]] {
        let folder = try makeTemporaryFolder(for: self, "plan")
        let metrics = folder.appendingPathComponent("metrics.jsonl").path
        let result = try MPIRun.run(ranks: 4, quiet: true, [
            try Products.executable("meshtop-rank"), "--mesh", mesh, "--steps", "1", "--peak-tflops", "0.1",
            "--dump-folder", try dumpFolder(in: folder), "--metrics-file", metrics,
        ] + options, timeout: 300)
        XCTAssertEqual(result.status, 0, "\(mesh): \(result.stderr)")
        let line = try XCTUnwrap(String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n").first)
        return try XCTUnwrap(Self.object(String(line))["ranks"] as? [[String: Any]])
    }

    private static func object(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    }
}
