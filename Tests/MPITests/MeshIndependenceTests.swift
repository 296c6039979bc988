import CheckpointFiles
import Foundation
import TestSupport
import Trainer
import XCTest

/// The point of the 2-D mesh: at the same global batch, replicate, FSDP and HSDP compute the same
/// training run. Tiny flavor, 30 steps, global batch 8 sequences of 64 tokens: one rank
/// accumulates 4 micro-batches of 2, two ranks accumulate 2, four ranks take 1 each.
final class MeshIndependenceTests: XCTestCase {
    struct Run {
        let losses: [Double]
        let weights: [String: [Float]]
    }

    static let steps = 30

    /// Each run once: the 1x1 reference of the first two tests, and the 1x2 run of the first and
    /// the last, are the same runs of meshtop-rank.
    static let runs = SharedRuns<[String], Run>()

    func run(mesh: String, ranks: Int, gradAccum: Int, extra: [String] = []) throws -> Run {
        try Self.runs.value(for: [mesh, String(ranks), String(gradAccum)] + extra) {
            try launch(mesh: mesh, ranks: ranks, gradAccum: gradAccum, extra: extra)
        }
    }

    private func launch(mesh: String, ranks: Int, gradAccum: Int, extra: [String]) throws -> Run {
        let folder = try makeTemporaryFolder(for: self, "mesh-\(mesh)")
        let metrics = folder.appendingPathComponent("metrics.jsonl").path
        let weights = folder.appendingPathComponent("final.safetensors").path
        let result = try MPIRun.run(ranks: ranks, quiet: true, [
            try Products.executable("meshtop-rank"), "--mesh", mesh, "--flavor", "tiny", "--seq-len", "64",
            "--local-batch-size", "2", "--grad-accum", String(gradAccum), "--steps", String(Self.steps),
            "--lr", "3e-3", "--peak-tflops", "0.1", "--dump-folder", try dumpFolder(in: folder), "--metrics-file", metrics, "--save-weights", weights,
        ] + extra, timeout: 600)
        guard result.status == 0 else { throw TestSupportError("\(mesh) \(extra): status \(result.status): \(result.stderr)") }
        let losses = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return try XCTUnwrap(object?["loss"] as? Double)
        }
        return Run(losses: losses, weights: try Weights.readAll(weights))
    }

    func testLossAndParametersDoNotDependOnTheMesh() throws {
        let reference = try run(mesh: "1x1", ranks: 1, gradAccum: 4)
        XCTAssertEqual(reference.losses.count, Self.steps)
        XCTAssertLessThan(reference.losses.last!, reference.losses.first! - 1, "the reference run must learn")
        for (mesh, ranks, accum) in [("2x1", 2, 2), ("1x2", 2, 2), ("4x1", 4, 1), ("2x2", 4, 1), ("1x4", 4, 1)] {
            try assertSameRun(reference, try run(mesh: mesh, ranks: ranks, gradAccum: accum), mesh)
        }
    }

    /// Two threads per rank cut each rank's batch of 2 into two lanes, whose gradients meet at
    /// every unit's end before replicate's all-reduce or FSDP's reduce-scatter takes them.
    func testTwoLanesPerRankComputeTheSameRun() throws {
        let reference = try run(mesh: "1x1", ranks: 1, gradAccum: 4)
        for (mesh, ranks, accum) in [("1x1", 1, 4), ("2x1", 2, 2), ("1x2", 2, 2), ("2x2", 4, 1)] {
            try assertSameRun(reference, try run(mesh: mesh, ranks: ranks, gradAccum: accum, extra: ["--threads", "2"]),
                              "\(mesh), 2 threads")
        }
    }

    private func assertSameRun(_ reference: Run, _ other: Run, _ label: String) throws {
        XCTAssertEqual(other.losses.count, Self.steps, label)
        for (step, (a, b)) in zip(reference.losses, other.losses).enumerated() {
            XCTAssertEqual(b, a, accuracy: 1e-5 * abs(a), "\(label) step \(step + 1)")
        }
        XCTAssertEqual(Set(other.weights.keys), Set(reference.weights.keys), label)
        // Relative difference of the whole parameter vector (AdamW's normalised update makes
        // elements with near-zero gradients sensitive to rounding one by one).
        var difference = 0.0, norm = 0.0
        for (name, a) in reference.weights {
            let b = try XCTUnwrap(other.weights[name])
            XCTAssertEqual(a.count, b.count, name)
            for (x, y) in zip(a, b) { difference += Double(x - y) * Double(x - y); norm += Double(x) * Double(x) }
        }
        let worstLoss = zip(reference.losses, other.losses).map { abs($0 - $1) / abs($0) }.max() ?? 0
        print("\(label): largest relative loss difference \(worstLoss), parameters \((difference / norm).squareRoot())")
        XCTAssertLessThan((difference / norm).squareRoot(), 1e-5, "\(label): final parameters differ")
    }

    func testFSDPWithoutReshardingMatchesToo() throws {
        let resharded = try run(mesh: "1x2", ranks: 2, gradAccum: 2)
        let kept = try run(mesh: "1x2", ranks: 2, gradAccum: 2, extra: ["--no-reshard-after-forward"])
        XCTAssertEqual(resharded.losses.map(\.bitPattern), kept.losses.map(\.bitPattern))
    }
}
