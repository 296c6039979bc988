import Checkpoint
import Foundation
import TestSupport
import XCTest

/// The acceptance: a checkpoint written on one mesh resumes on any other mesh and world
/// size and continues the run as if never interrupted. Tiny flavor, 20 steps, global batch 8
/// sequences of 64 tokens (as MeshIndependenceTests), checkpoint at step 10 on (2, 2).
final class ReshardingResumeTests: XCTestCase {
    static let steps = 20
    var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder(for: self, "reshard")
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
        /// Loss by 1-based step.
        let losses: [Int: Double]
    }

    func run(mesh: String, ranks: Int, gradAccum: Int, checkpoints: URL, _ extra: [String]) throws -> Run {
        let metrics = folder.appendingPathComponent("metrics-\(UUID().uuidString).jsonl").path
        let result = try MPIRun.run(ranks: ranks, quiet: true, [
            try Products.executable("meshtop-rank"), "--mesh", mesh, "--flavor", "tiny", "--seq-len", "64",
            "--local-batch-size", "2", "--grad-accum", String(gradAccum), "--steps", String(Self.steps),
            "--peak-tflops", "0.1", "--dump-folder", try dumpFolder(in: folder), "--metrics-file", metrics,
            "--checkpoint-dir", checkpoints.path,
        ] + extra, timeout: 600)
        var losses: [Int: Double] = [:]
        if let text = try? String(contentsOfFile: metrics, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                losses[try XCTUnwrap(object?["step"] as? Int)] = try XCTUnwrap(object?["loss"] as? Double)
            }
        }
        return Run(status: result.status, stdout: result.stdout, stderr: result.stderr, losses: losses)
    }

    func assertContinues(_ resumed: Run, _ reference: Run, _ label: String, exact: Bool = false,
                         file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(resumed.status, 0, "\(label): \(resumed.stderr)", file: file, line: line)
        XCTAssertEqual(resumed.losses.keys.sorted(), Array(11...Self.steps), label, file: file, line: line)
        for step in 11...Self.steps {
            guard let a = reference.losses[step], let b = resumed.losses[step] else { continue }
            if exact {
                XCTAssertEqual(b.bitPattern, a.bitPattern, "\(label) step \(step): \(b) vs \(a)", file: file, line: line)
            } else {
                XCTAssertEqual(b, a, accuracy: 1e-5 * abs(a), "\(label) step \(step)", file: file, line: line)
            }
        }
    }

    func testResumesOnAnyMeshAndWorldSize() throws {
        let checkpoints = folder.appendingPathComponent("checkpoints")
        let reference = try run(mesh: "2x2", ranks: 4, gradAccum: 1, checkpoints: checkpoints, ["--checkpoint-every", "10"])
        XCTAssertEqual(reference.status, 0, reference.stderr)
        XCTAssertEqual(reference.losses.count, Self.steps)
        XCTAssertLessThan(reference.losses[20]!, reference.losses[1]! - 0.1, "the reference run must learn")

        // (2, 2): the two replicas of each shard each write half of it.
        let store = CheckpointStore(directory: checkpoints)
        XCTAssertEqual(store.complete().map(\.step), [10, 20])
        let manifest = try CheckpointReader(url: store.url(step: 10)).manifest
        XCTAssertEqual(manifest.mesh, .init(dpReplicate: 2, dpShard: 2))
        XCTAssertEqual(manifest.worldSize, 4)
        XCTAssertEqual(manifest.files.map(\.name), [
            "shard-00000-of-00002-part-0-of-2.safetensors", "shard-00000-of-00002-part-1-of-2.safetensors",
            "shard-00001-of-00002-part-0-of-2.safetensors", "shard-00001-of-00002-part-1-of-2.safetensors",
        ])
        XCTAssertEqual(manifest.run.optimizerStepCount, 10)
        XCTAssertEqual(manifest.run.sequencesPerStep, 8)

        let resume = ["--resume-step", "10"]
        assertContinues(try run(mesh: "2x2", ranks: 4, gradAccum: 1, checkpoints: checkpoints, resume), reference,
                        "(2,2)", exact: true)
        for (mesh, ranks, accum) in [("4x1", 4, 1), ("1x4", 4, 1), ("1x2", 2, 2), ("1x1", 1, 4)] {
            let resumed = try run(mesh: mesh, ranks: ranks, gradAccum: accum, checkpoints: checkpoints, resume)
            assertContinues(resumed, reference, "(\(mesh)) from (2,2)")
            XCTAssertTrue(resumed.stdout.contains("written on mesh 2x2 by 4 ranks") && resumed.stdout.contains("resuming at step 11"),
                          resumed.stdout)
        }
    }

    /// The other way round: four FSDP shards (unit boundaries cut elsewhere) read back as HSDP.
    func testFourShardsResumeOnHSDP() throws {
        let checkpoints = folder.appendingPathComponent("checkpoints")
        let reference = try run(mesh: "1x4", ranks: 4, gradAccum: 1, checkpoints: checkpoints, ["--checkpoint-every", "10"])
        XCTAssertEqual(reference.status, 0, reference.stderr)
        XCTAssertEqual(try CheckpointReader(url: CheckpointStore(directory: checkpoints).url(step: 10)).manifest.files.count, 4)
        assertContinues(try run(mesh: "2x2", ranks: 4, gradAccum: 1, checkpoints: checkpoints, ["--resume-step", "10"]),
                        reference, "(2,2) from (1,4)")
    }

    /// On (1, 2) only rank 1 reads shard 1: its failure must stop (or turn back) every rank.
    func testADamagedShardIsRefusedOrSkippedByEveryRank() throws {
        let checkpoints = folder.appendingPathComponent("checkpoints")
        let reference = try run(mesh: "1x2", ranks: 2, gradAccum: 2, checkpoints: checkpoints, ["--checkpoint-every", "10"])
        XCTAssertEqual(reference.status, 0, reference.stderr)
        let damaged = CheckpointStore(directory: checkpoints).url(step: 20)
            .appendingPathComponent(CheckpointWriter.fileName(shard: 1, of: 2))
        let handle = try FileHandle(forUpdating: damaged)
        try handle.seek(toOffset: 4096)
        let byte = try XCTUnwrap(handle.readData(ofLength: 1).first)
        try handle.seek(toOffset: 4096)
        handle.write(Data([byte ^ 0x80]))
        try handle.close()

        let refused = try run(mesh: "1x2", ranks: 2, gradAccum: 2, checkpoints: checkpoints, ["--resume"])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("step-000020/shard-00001-of-00002.safetensors: corrupted"), refused.stderr)

        let fellBack = try run(mesh: "1x2", ranks: 2, gradAccum: 2, checkpoints: checkpoints, ["--resume-latest-valid"])
        XCTAssertTrue(fellBack.stdout.contains("step-000020 is not usable") && fellBack.stdout.contains("falling back to step-000010"),
                      fellBack.stdout)
        assertContinues(fellBack, reference, "fallback", exact: true)
    }
}
