import Foundation
import Model
import RunSpec
import TestSupport
import XCTest

/// The bytes each rank puts on the wire equal the collective volumes the dashboard reports:
/// 2(n-1)/n of the buffer for all-reduce, (n-1)/n for all-gather and reduce-scatter.
/// Open MPI's monitoring PML counts, per rank, the point-to-point bytes that collectives really
/// sent ("I" lines of its profile, written at MPI_Finalize); the metrics file has what meshtop
/// recorded. Tiny flavor, 3 steps, every mesh of 2 and 4 ranks.
final class CommunicationTheoryTests: XCTestCase {
    static let steps = 3

    func testWireBytesEqualTheRecordedCollectiveVolumes() throws {
        for (mesh, ranks) in [("2x1", 2), ("1x2", 2), ("4x1", 4), ("2x2", 4), ("1x4", 4)] {
            let (recorded, measured) = try run(mesh: mesh, ranks: ranks)
            for rank in 0..<ranks {
                let total = recorded[rank].values.reduce(0, +)
                XCTAssertGreaterThan(total, 0, "\(mesh) rank \(rank) recorded no communication")
                // The rest of the wire is control traffic (loss, norm, the figures gathered to rank 0).
                XCTAssertEqual(Double(measured[rank]), Double(total), accuracy: 0.01 * Double(total),
                               "\(mesh) rank \(rank): wire \(measured[rank]) bytes, recorded \(recorded[rank])")
            }
            print("mesh \(mesh): rank 0 recorded \(recorded[0]), wire \(measured[0]) bytes")
        }
    }

    func testReplicateRecordsTheRingVolumeOfTheWholeGradient() throws {
        let n = ModelConfig.tiny.parameterCount
        for (mesh, ranks) in [("2x1", 2), ("4x1", 4)] {
            let (recorded, _) = try run(mesh: mesh, ranks: ranks)
            let ring = 2 * (ranks - 1) * (4 * n) / ranks
            for rank in 0..<ranks {
                // Buckets are rounded down one by one, so allow a byte per bucket.
                XCTAssertEqual(Double(recorded[rank]["all_reduce"] ?? 0), Double(Self.steps * ring), accuracy: 64,
                               "\(mesh) rank \(rank)")
            }
        }
    }

    typealias Figures = (recorded: [[String: Int]], measured: [Int])

    /// Each mesh's run once: the 2x1 and 4x1 runs of the two tests are the same runs.
    static let runs = SharedRuns<String, Figures>()

    private func run(mesh: String, ranks: Int) throws -> Figures {
        try Self.runs.value(for: "\(mesh) on \(ranks) ranks") { try launch(mesh: mesh, ranks: ranks) }
    }

    /// Runs meshtop-rank with Open MPI's monitoring and returns, per rank, the recorded bytes by
    /// collective kind summed over the steps, and the bytes collectives sent on the wire.
    private func launch(mesh: String, ranks: Int) throws -> Figures {
        let folder = try makeTemporaryFolder(for: self, "comm")
        let metrics = folder.appendingPathComponent("metrics.jsonl").path
        let profile = folder.appendingPathComponent("wire").path
        let result = try MPIRun.run(ranks: ranks, quiet: true, options: [
            "--mca", "pml_monitoring_enable", "2", "--mca", "pml_monitoring_enable_output", "3",
            "--mca", "pml_monitoring_filename", profile,
        ], [
            try Products.executable("meshtop-rank"), "--mesh", mesh, "--flavor", "tiny", "--seq-len", "32",
            "--local-batch-size", "2", "--steps", String(Self.steps), "--bucket-mb", "0.5", "--peak-tflops", "0.1",
            "--dump-folder", try dumpFolder(in: folder), "--metrics-file", metrics,
        ], timeout: 300)
        guard result.status == 0 else { throw TestSupportError("\(mesh): status \(result.status): \(result.stderr)") }

        var recorded = [[String: Int]](repeating: [:], count: ranks)
        for line in try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n") {
            let step = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for (rank, figures) in try XCTUnwrap(step["ranks"] as? [[String: Any]]).enumerated() {
                let bytes = (figures["communication"] as? [String: Any])?["bytes"] as? [String: Int] ?? [:]
                recorded[rank].merge(bytes, uniquingKeysWith: +)
            }
        }
        // "I <rank> <peer> <bytes> bytes <count> msgs sent ...": point-to-point made by collectives.
        let measured = try (0..<ranks).map { rank in
            try String(contentsOfFile: "\(profile).\(rank).prof", encoding: .utf8).split(separator: "\n")
                .filter { $0.hasPrefix("I\t") }
                .map { Int($0.split(separator: "\t")[3].split(separator: " ")[0]) ?? 0 }
                .reduce(0, +)
        }
        return (recorded, measured)
    }
}
