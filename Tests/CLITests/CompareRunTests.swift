import Foundation
import TestSupport
import XCTest

/// `meshtop compare` and `meshtop run --compare` on real recordings: the tiny flavor, seq 32, 5
/// steps, global batch 32 (8 a rank on four ranks), under mpirun.
final class CompareRunTests: XCTestCase {
    /// Each recording's text, made once (a recording is a `meshtop run --metrics-file`).
    static let recordings = SharedRuns<[String], String>()

    /// The recording of a 5-step run on `mesh` with `extra` options.
    func recording(_ mesh: String, _ extra: [String] = []) throws -> String {
        try Self.recordings.value(for: [mesh] + extra) {
            let folder = try makeTemporaryFolder(for: self, "compare-record")
            let file = folder.appendingPathComponent("run.jsonl").path
            let result = try ProcessRunner.run([try Products.executable("meshtop"), "run"] + Self.options(mesh, folder: folder)
                                               + ["--metrics-file", file] + extra, timeout: 300)
            guard result.status == 0 else { throw TestSupportError("\(mesh) \(extra): status \(result.status): \(result.stderr)") }
            return try String(contentsOfFile: file, encoding: .utf8)
        }
    }

    static func options(_ mesh: String, folder: URL) throws -> [String] {
        ["--no-tui", "--mesh", mesh, "--flavor", "tiny", "--seq-len", "32", "--steps", "5", "--peak-tflops", "0.1",
         "--dump-folder", try dumpFolder(in: folder)]
    }

    /// The recordings written to this test's folder under `names`.
    func files(_ runs: [(name: String, text: String)]) throws -> [String] {
        let folder = try makeTemporaryFolder(for: self, "compare")
        return try runs.map { run in
            let path = folder.appendingPathComponent(run.name).path
            try run.text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    func compare(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run([try Products.executable("meshtop"), "compare"] + arguments, timeout: 60)
    }

    func testTheSameRunOnFourByOneTwoByTwoAndOneByFourIsIdenticalWithin1e5() throws {
        let paths = try files([("4x1.jsonl", try recording("4x1")), ("2x2.jsonl", try recording("2x2")), ("1x4.jsonl", try recording("1x4"))])
        let table = try compare(["--no-tui"] + paths)
        XCTAssertEqual(table.status, 0, table.stdout + table.stderr)
        XCTAssertTrue(table.stdout.contains("2 [2, 2] hsdp: identical within 1e-5 to step 5"), table.stdout)
        XCTAssertTrue(table.stdout.contains("3 [1, 4] fsdp: identical within 1e-5 to step 5"), table.stdout)
        XCTAssertTrue(table.stdoutLines.last == "result: every run within 1e-5 of the first", table.stdout)
        let json = try compare(["--json", "--align", "tokens"] + paths)
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["all_within_rtol"] as? Bool, true)
        XCTAssertEqual(object["align"] as? String, "tokens")
        let pairs = try XCTUnwrap(object["pairs"] as? [[String: Any]])
        XCTAssertEqual(pairs.map { ($0["verdict"] as? [String: Any])?["kind"] as? String }, ["identical", "identical"])
        XCTAssertEqual(pairs.map { $0["aligned_points"] as? Int }, [5, 5])
        let runs = try XCTUnwrap(object["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.map { $0["label"] as? String }, ["[4, 1] replicate", "[2, 2] hsdp", "[1, 4] fsdp"])
        let points = try XCTUnwrap(runs[0]["points"] as? [[String: Any]])
        XCTAssertEqual(points.map { $0["tokens"] as? Int }, (1 ... 5).map { $0 * 4 * 8 * 32 }, "every rank's tokens, summed")
    }

    func testAnotherSeedDivergesFromStepOneAndExitsOne() throws {
        let paths = try files([("seed0.jsonl", try recording("2x2")), ("seed1.jsonl", try recording("2x2", ["--seed", "1"]))])
        let result = try compare(["--no-tui"] + paths)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stdout.contains("2 [2, 2] hsdp (seed1.jsonl): diverges from step 1: loss "), result.stdout)
        XCTAssertTrue(result.stdout.contains("(initialisation or data differ)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("result: 1 of 1 runs not within 1e-5 of the first"), result.stdout)
    }

    func testGradNormsScaledByTwoNameTheRatioAndTheDegreesItEquals() throws {
        let scaled = try recording("2x2").split(separator: "\n").map { line -> String in
            var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if object["event"] as? String == "step" { object["gradNorm"] = try XCTUnwrap(object["gradNorm"] as? Double) * 2 }
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }.joined(separator: "\n") + "\n"
        let paths = try files([("4x1.jsonl", try recording("4x1")), ("2x2-doubled.jsonl", scaled)])
        let result = try compare(["--no-tui"] + paths)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stdout.contains("2 [2, 2] hsdp: grad norm ratio a near-constant 2.000 "
                                             + "(= dp_replicate 2 and dp_shard 2 of [2, 2] hsdp); loss identical within 1e-5"), result.stdout)
        let json = try compare(["--json"] + paths)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let verdict = try XCTUnwrap(((object["pairs"] as? [[String: Any]])?.first)?["verdict"] as? [String: Any])
        XCTAssertEqual(verdict["kind"] as? String, "grad_norm_ratio")
        let ratio = try XCTUnwrap(verdict["ratio"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(ratio["k"] as? Double), 2, accuracy: 1e-9)
        XCTAssertEqual((ratio["degrees"] as? [[String: Any]])?.map { $0["degree"] as? String }, ["dp_replicate", "dp_shard"])
    }

    /// A recording cut off before its first step is a run with nothing to compare: refused, naming it.
    func testARunWithoutAStepIsRefusedNamingIt() throws {
        let hello = try XCTUnwrap(try recording("4x1").split(separator: "\n").first.map { String($0) + "\n" })
        XCTAssertTrue(hello.contains("\"hello\""))
        let paths = try files([("4x1.jsonl", try recording("4x1")), ("cut.jsonl", hello)])
        let result = try compare(["--no-tui"] + paths)
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stderr, "meshtop: \(paths[1]): no step to compare (the run has no step event)\n")
        XCTAssertEqual(result.stdout, "")
        let live = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--no-tui", "--compare", paths[1]])
        XCTAssertEqual(live.status, 2)
        XCTAssertEqual(live.stderr, "meshtop: --compare \(paths[1]): no step to compare (the run has no step event)\n")
    }

    /// Headless, a line per step says the verdict so far: the same run stays identical; another
    /// learning rate has the same step 1 (the loss before any update) and parts at step 2.
    func testRunCompareSaysTheVerdictAtEveryStep() throws {
        let reference = try files([("ref-4x1.jsonl", try recording("4x1"))])[0]
        let folder = try makeTemporaryFolder(for: self, "compare-live")
        let meshtop = try Products.executable("meshtop")
        let same = try ProcessRunner.run([meshtop, "run"] + Self.options("2x2", folder: folder) + ["--compare", reference], timeout: 300)
        XCTAssertEqual(same.status, 0, same.stderr)
        let lines = same.stderrLines.filter { $0.hasPrefix("meshtop: vs ref-4x1.jsonl: ") }
        XCTAssertEqual(lines, (1 ... 5).map { "meshtop: vs ref-4x1.jsonl: identical within 1e-5 to step \($0)" }, same.stderr)
        let other = try ProcessRunner.run([meshtop, "run"] + Self.options("2x2", folder: folder) + ["--compare", reference, "--lr", "1e-3"],
                                          timeout: 300)
        XCTAssertEqual(other.status, 0, other.stderr)
        let verdicts = other.stderrLines.filter { $0.hasPrefix("meshtop: vs ref-4x1.jsonl: ") }
        XCTAssertEqual(verdicts.count, 5, other.stderr)
        XCTAssertEqual(verdicts.first, "meshtop: vs ref-4x1.jsonl: identical within 1e-5 to step 1")
        for line in verdicts.dropFirst() {
            XCTAssertTrue(line.hasPrefix("meshtop: vs ref-4x1.jsonl: diverged at step 2: loss "), line)
            XCTAssertTrue(line.hasSuffix(" relative (gradient reduction or optimizer); identical within 1e-5 to step 1"), line)
        }
    }
}
