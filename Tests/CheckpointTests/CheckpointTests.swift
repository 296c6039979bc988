import Checkpoint
import Collectives
import Foundation
import FrontendCLI
import Mesh
import Model
import ModelShape
import Parallel
import RankCLI
import RunSpec
import TestSupport
import Trainer
import XCTest

/// Checkpoints from a world of one (no MPI): write, resume bit for bit, refuse damage, rotate,
/// ignore unfinished writes, export. Resharding across real ranks: MPITests/ReshardingResumeTests.
final class CheckpointTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder(for: self, "ckpt")
    }

    var checkpoints: URL { folder.appendingPathComponent("checkpoints") }

    func config(steps: Int = 6, every: Int = 3, resume: ResumePolicy? = nil) -> RunSpecification {
        var config = RunSpecification(dataPath: Products.dataFile("tinyshakespeare.txt"),
                                    tokenizerPath: Products.dataFile("tokenizer.json"))
        config.flavor = "tiny"
        config.model = .tiny
        config.seqLen = 64
        config.localBatchSize = 2
        config.gradAccum = 2
        config.steps = steps
        config.peakTFLOPS = 0.1
        config.dumpFolder = sharedDumpFolder
        config.checkpointDir = checkpoints.path
        config.checkpointEvery = every
        config.resume = resume
        return config
    }

    func trainer(_ config: RunSpecification, log: @escaping (String) -> Void = { _ in }) throws -> Trainer {
        let mesh = try DeviceMesh(shape: MeshShape(replicate: 1, shard: 1), world: LocalCommunicator())
        return try Trainer(config: config, mesh: mesh, log: log)
    }

    /// Losses by 1-based step.
    func train(_ config: RunSpecification, log: @escaping (String) -> Void = { _ in }) throws -> [Int: Double] {
        var out: [Int: Double] = [:]
        for r in try trainer(config, log: log).run() { out[r.step] = r.loss }
        return out
    }

    func shardFile(_ step: Int) -> URL {
        CheckpointStore(directory: checkpoints).url(step: step)
            .appendingPathComponent(CheckpointWriter.fileName(shard: 0, of: 1))
    }

    func manifest(_ step: Int) throws -> CheckpointManifest {
        try CheckpointReader(url: CheckpointStore(directory: checkpoints).url(step: step)).manifest
    }

    func resumeError(_ config: RunSpecification, file: StaticString = #filePath, line: UInt = #line) -> CheckpointError? {
        do {
            _ = try trainer(config)
            XCTFail("the resume should have been refused", file: file, line: line)
            return nil
        } catch let error as CheckpointError {
            return error
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
            return nil
        }
    }

    // MARK: writing and resuming

    func testResumeContinuesBitForBit() throws {
        let reference = try train(config())
        XCTAssertEqual(reference.count, 6)
        XCTAssertEqual(CheckpointStore(directory: checkpoints).complete().map(\.step), [3, 6])
        let m3 = try manifest(3), m6 = try manifest(6)
        XCTAssertEqual(m3.step, 3)
        XCTAssertEqual(m3.run.optimizerStepCount, 3)
        XCTAssertEqual(m3.run.nextDataStep, 3)
        XCTAssertEqual(m3.run.sequencesPerStep, 4)
        XCTAssertEqual(m3.mesh, .init(dpReplicate: 1, dpShard: 1))
        XCTAssertEqual(m3.worldSize, 1)
        XCTAssertEqual(m3.run.model, .tiny)
        XCTAssertEqual(m3.files.count, 1)
        XCTAssertEqual(Set(m3.pieces.map(\.vector)), Set(CheckpointVector.allCases))

        // Resumed from step 3, the run goes on with steps 4...6 exactly, and its own checkpoint of
        // step 6 (params, exp_avg, exp_avg_sq) is byte for byte the uninterrupted run's.
        var log: [String] = []
        let t = try trainer(config(resume: .step(3)), log: { log.append($0) })
        XCTAssertEqual(t.completedSteps, 3)
        var resumed: [Int: Double] = [:]
        for r in try t.run() { resumed[r.step] = r.loss }
        XCTAssertEqual(resumed.keys.sorted(), [4, 5, 6])
        for step in 4...6 { XCTAssertEqual(resumed[step]?.bitPattern, reference[step]?.bitPattern, "step \(step)") }
        XCTAssertEqual(try manifest(6).files, m6.files, "the step-6 state differs from the uninterrupted run's")
        XCTAssertTrue(log.contains { $0.contains("Loaded checkpoint") && $0.contains("resuming at step 4") }, "\(log)")

        // --resume takes the newest: nothing left to train.
        let latest = try trainer(config(resume: .latest))
        XCTAssertEqual(latest.completedSteps, 6)
        XCTAssertEqual(try latest.run().count, 0)
    }

    func testResumeWithNoCheckpointStartsFresh() throws {
        var log: [String] = []
        let t = try trainer(config(steps: 2, every: 0, resume: .latest), log: { log.append($0) })
        XCTAssertEqual(t.completedSteps, 0)
        XCTAssertEqual(try t.run().count, 2)
        XCTAssertTrue(log.contains { $0.hasPrefix("No checkpoint in") }, "\(log)")
        XCTAssertEqual(resumeError(config(steps: 2, every: 0, resume: .step(4)))?.kind, .notFound)
    }

    /// Whatever the shard layout of the reader, each piece comes back exactly, padding zero.
    func testAnyShardLayoutReadsItsPiecesExactly() throws {
        let layout = ParameterLayout(config: .tiny)
        let n = layout.count
        let vectors = (0..<3).map { k in (0..<n).map { Float(k) + Float($0) / Float(n) + 0.5 } }  // no zeros
        let buffers = vectors.map { v -> UnsafeMutableBufferPointer<Float> in
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
            _ = b.initialize(from: v)
            return b
        }
        defer { buffers.forEach { $0.deallocate() } }
        let state = LocalState(params: buffers[0], expAvg: buffers[1], expAvgSq: buffers[2],
                               pieces: [CanonicalPiece(local: 0, full: 0 ..< n)])
        let run = RunRecord(flavor: "tiny", model: .tiny, optimizerStepCount: 7, lr: 1e-3, beta1: 0.9, beta2: 0.95,
                            eps: 1e-8, weightDecay: 0.1, steps: 10, warmupSteps: 2, decayRatio: 0.8, minLRFactor: 0,
                            maxNorm: 1, seqLen: 64, localBatchSize: 2, gradAccum: 1, sequencesPerStep: 2,
                            nextDataStep: 7, seed: 0, dataPath: "d", tokenizerPath: "t")
        let result = try CheckpointWriter.save(step: 7, run: run, state: state, store: CheckpointStore(directory: checkpoints),
                                               world: LocalCommunicator(), mesh: MeshShape(replicate: 1, shard: 1), keep: nil)
        XCTAssertEqual(result.files, 1)
        let reader = try CheckpointReader(url: result.url)
        XCTAssertEqual(reader.manifest.run, run)

        for shards in [1, 2, 3, 5, 8] {
            let localCount = layout.units.reduce(0) { $0 + ($1.range.count + shards - 1) / shards }
            for s in 0..<shards {
                let pieces = FullyShard.pieces(layout: layout, shard: s, of: shards)
                let out = (0..<3).map { _ in UnsafeMutableBufferPointer<Float>.allocate(capacity: localCount) }
                defer { out.forEach { $0.deallocate() } }
                out.forEach { $0.initialize(repeating: .nan) }
                try reader.load(into: LocalState(params: out[0], expAvg: out[1], expAvgSq: out[2], pieces: pieces))
                for k in 0..<3 {
                    // What FullyShard.loadShard keeps: unit by unit, [s*C, (s+1)*C) of the padded unit.
                    var expected: [Float] = []
                    for unit in layout.units {
                        let c = (unit.range.count + shards - 1) / shards
                        for i in s * c ..< (s + 1) * c {
                            expected.append(i < unit.range.count ? vectors[k][unit.range.lowerBound + i] : 0)
                        }
                    }
                    XCTAssertEqual(Array(out[k]).map(\.bitPattern), expected.map(\.bitPattern), "S=\(shards) s=\(s) vector \(k)")
                }
            }
        }
    }

    // MARK: damage

    func damagedCopy(_ name: String, _ damage: (URL) throws -> Void) throws -> RunSpecification {
        let copy = folder.appendingPathComponent(name)
        try FileManager.default.copyItem(at: checkpoints, to: copy)
        try damage(CheckpointStore(directory: copy).url(step: 6).appendingPathComponent(CheckpointWriter.fileName(shard: 0, of: 1)))
        var c = config(resume: .latest)
        c.checkpointDir = copy.path
        c.checkpointEvery = 0
        return c
    }

    func testDamagedCheckpointsAreRefusedNamingTheFileAndLatestValidFallsBack() throws {
        let reference = try train(config())
        let file = CheckpointWriter.fileName(shard: 0, of: 1)

        let flipped = try damagedCopy("flipped") { url in
            let handle = try FileHandle(forUpdating: url)
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: size / 2)
            let byte = try XCTUnwrap(handle.readData(ofLength: 1).first)
            try handle.seek(toOffset: size / 2)
            handle.write(Data([byte ^ 0x01]))
            try handle.close()
        }
        let truncated = try damagedCopy("truncated") { url in
            let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
            XCTAssertEqual(truncate(url.path, off_t(size - 100)), 0)
        }
        let missing = try damagedCopy("missing") { try FileManager.default.removeItem(at: $0) }

        for (c, what) in [(flipped, "corrupted"), (truncated, "truncated"), (missing, "missing")] {
            let error = try XCTUnwrap(resumeError(c), what)
            XCTAssertEqual(error.kind, .invalid)
            XCTAssertTrue(error.description.contains("step-000006/\(file)"), error.description)
            XCTAssertTrue(error.description.contains(what), error.description)

            // Asked to, the run falls back to step 3, says so, and continues as the reference did.
            var fallback = c
            fallback.resume = .latestValid
            var log: [String] = []
            let t = try trainer(fallback, log: { log.append($0) })
            XCTAssertEqual(t.completedSteps, 3, what)
            let losses = try t.run()
            XCTAssertEqual(losses.map(\.step), [4, 5, 6])
            for r in losses { XCTAssertEqual(r.loss.bitPattern, reference[r.step]?.bitPattern, "\(what) step \(r.step)") }
            XCTAssertTrue(log.contains { $0.contains("step-000006 is not usable") && $0.contains(what) && $0.contains("falling back to step-000003") },
                          "\(log)")
        }
        // The damage stayed in the copies; the previous checkpoint was never touched by the later save.
        for step in [3, 6] { XCTAssertNoThrow(try CheckpointReader(url: CheckpointStore(directory: checkpoints).url(step: step)).verifyAll()) }
    }

    func testAnotherModelIsRefusedNamingTheField() throws {
        _ = try train(config(steps: 3))
        var other = config(steps: 3, every: 0, resume: .latestValid)
        other.model.dim = 32
        let error = try XCTUnwrap(resumeError(other))
        XCTAssertEqual(error.kind, .mismatch)
        XCTAssertTrue(error.description.contains("model.dim is 64 in the checkpoint, 32 in this run"), error.description)
        XCTAssertTrue(error.description.contains("step-000003"), error.description)
    }

    // MARK: the folder

    func testKeepsTheNewestKCheckpoints() throws {
        var c = config(steps: 5, every: 1)
        c.keepCheckpoints = 2
        var log: [String] = []
        _ = try train(c, log: { log.append($0) })
        XCTAssertEqual(CheckpointStore(directory: checkpoints).complete().map(\.step), [4, 5])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: checkpoints.path).sorted(), ["step-000004", "step-000005"])
        XCTAssertEqual(log.filter { $0.hasPrefix("Removed old checkpoint") }.count, 3)
    }

    func testUnfinishedWritesAreIgnoredAndCleaned() throws {
        _ = try train(config(steps: 3))
        let store = CheckpointStore(directory: checkpoints)
        // An interrupted save (even one that got as far as its manifest) and a folder without one.
        let temp = checkpoints.appendingPathComponent("step-000009.tmp-4242")
        try FileManager.default.copyItem(at: store.url(step: 3), to: temp)
        try FileManager.default.createDirectory(at: store.url(step: 8), withIntermediateDirectories: true)
        XCTAssertEqual(store.complete().map(\.step), [3])

        var log: [String] = []
        let t = try trainer(config(steps: 4, every: 0, resume: .latest), log: { log.append($0) })
        XCTAssertEqual(t.completedSteps, 3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: temp.path), "the unfinished folder was not removed")
        _ = try t.run()
        XCTAssertTrue(log.contains { $0.contains("Removed unfinished checkpoint folders: step-000009.tmp-4242") }, "\(log)")
    }

    func testCheckpointOnRequest() throws {
        let t = try trainer(config(steps: 3, every: 0))
        try t.run { report in if report.step == 2 { t.requestCheckpoint() } }
        XCTAssertEqual(CheckpointStore(directory: checkpoints).complete().map(\.step), [2])
    }

    // MARK: export

    func testExportEqualsSaveWeights() throws {
        var c = config(steps: 3, every: 3)
        let saved = folder.appendingPathComponent("final.safetensors").path
        c.saveWeights = saved
        _ = try train(c)
        let exported = folder.appendingPathComponent("exported.safetensors").path
        let result = try ExportCommand.export(checkpoint: checkpoints.path, to: exported)  // the folder: newest
        XCTAssertEqual(result.step, 3)
        let a = try Weights.readAll(saved), b = try Weights.readAll(exported)
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted())
        XCTAssertEqual(a.count, ParameterLayout(config: .tiny).tensors.count)
        for (name, values) in a { XCTAssertEqual(b[name]?.map(\.bitPattern), values.map(\.bitPattern), name) }

        // A damaged checkpoint is not exported.
        let file = shardFile(3)
        XCTAssertEqual(truncate(file.path, 100), 0)
        XCTAssertThrowsError(try ExportCommand.export(checkpoint: CheckpointStore(directory: checkpoints).url(step: 3).path,
                                                      to: exported)) { error in
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
    }

    func testExportCommandLine() throws {
        _ = try train(config(steps: 3, every: 3))
        let out = folder.appendingPathComponent("cli.safetensors").path
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "export",
                                            CheckpointStore(directory: checkpoints).url(step: 3).path, out])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Exported step 3"), result.stdout)
        XCTAssertEqual(try Weights.readAll(out).count, ParameterLayout(config: .tiny).tensors.count)
        let missing = try ProcessRunner.run([try Products.executable("meshtop"), "export", folder.path + "/nothing", out])
        XCTAssertNotEqual(missing.status, 0)
    }

    // MARK: the command line

    func testResumeOptions() throws {
        func policy(_ arguments: [String]) throws -> (ResumePolicy?, Int, Int?) {
            var c = config()
            try RankCommand.parse(["--checkpoint-dir", "x"] + arguments).checkpoints.apply(to: &c)
            return (c.resume, c.checkpointEvery, c.keepCheckpoints)
        }
        XCTAssertEqual(try policy([]).0, nil)
        XCTAssertEqual(try policy(["--resume"]).0, .latest)
        XCTAssertEqual(try policy(["--resume-step", "20"]).0, .step(20))
        XCTAssertEqual(try policy(["--resume-latest-valid"]).0, .latestValid)
        XCTAssertEqual(try policy(["--checkpoint-every", "5", "--keep-checkpoints", "2"]).1, 5)
        XCTAssertEqual(try policy(["--checkpoint-every", "5", "--keep-checkpoints", "2"]).2, 2)
        XCTAssertThrowsError(try policy(["--resume", "--resume-step", "3"])) { error in
            XCTAssertTrue("\(error)".contains("--resume and --resume-step exclude each other"), "\(error)")
        }
        var c = config()
        c.checkpointDir = nil
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("--checkpoint-every 3: needs --checkpoint-dir"), "\($0)") }
        c.checkpointEvery = 0
        c.resume = .latest
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("needs --checkpoint-dir"), "\($0)") }
    }
}
