import Foundation
import TestSupport
import XCTest

/// The memory each strategy holds follows the theory, for the real debugmodel on 4 real ranks.
/// Figures come from the metrics file, where rank 0 writes every rank's ledger each step.
final class MemoryTheoryTests: XCTestCase {
    typealias Ledger = [String: Int]

    func ledgers(mesh: String, extra: [String] = []) throws -> [Ledger] {
        let folder = try makeTemporaryFolder(for: self, "memory")
        let metrics = folder.appendingPathComponent("metrics.jsonl").path
        let result = try MPIRun.run(ranks: 4, quiet: true, [
            try Products.executable("meshtop-rank"), "--mesh", mesh, "--steps", "1", "--seq-len", "32",
            "--local-batch-size", "1", "--peak-tflops", "0.1", "--dump-folder", try dumpFolder(in: folder), "--metrics-file", metrics,
        ] + extra, timeout: 600)
        XCTAssertEqual(result.status, 0, result.stderr)
        let line = try XCTUnwrap(String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n").first)
        let step = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let ranks = try XCTUnwrap(step["ranks"] as? [[String: Any]])
        XCTAssertEqual(ranks.map { $0["rank"] as? Int }, [0, 1, 2, 3])
        return try ranks.map { try XCTUnwrap($0["memory"] as? Ledger) }
    }

    func testShardingDividesParametersGradientsAndOptimizerState() throws {
        let n = 6_139_136
        let replicate = try ledgers(mesh: "4x1")
        let fsdp = try ledgers(mesh: "1x4")
        for ledger in replicate {
            XCTAssertEqual(ledger["parameters"], 4 * n)
            XCTAssertEqual(ledger["gradients"], 4 * n)
            XCTAssertEqual(ledger["optimizer"], 8 * n)
            XCTAssertEqual(ledger["gathered_parameters"], 0)
        }
        // Units of the debugmodel: embedding, 6 blocks, final norm + output (padding to 4 is at most 3 each).
        let unitSizes = [512_000] + Array(repeating: 852_480, count: 6) + [512_256]
        let largestUnit = unitSizes.map { ($0 + 3) / 4 * 4 }.max()!
        for ledger in fsdp {
            let state = ledger["parameters"]! + ledger["gradients"]! + ledger["optimizer"]!
            let replicated = replicate[0]["parameters"]! + replicate[0]["gradients"]! + replicate[0]["optimizer"]!
            XCTAssertEqual(Double(state), Double(replicated) / 4, accuracy: Double(replicated) / 4 * 0.01)
            XCTAssertGreaterThanOrEqual(state * 4, replicated)
            // Two gathered units at most: the one computing and the one prefetched.
            XCTAssertEqual(ledger["gathered_parameters"], 2 * largestUnit * 4)
        }
        // Without resharding after forward every unit stays gathered: the whole (padded) model.
        let kept = try ledgers(mesh: "1x4", extra: ["--no-reshard-after-forward"])
        XCTAssertEqual(kept[0]["gathered_parameters"], unitSizes.map { ($0 + 3) / 4 * 4 }.reduce(0, +) * 4)
    }
}
