import Foundation
import TestSupport
import XCTest

/// `meshtop compare` and `meshtop run --compare` on a real terminal (tmux), on real recordings of
/// the tiny flavor (seq 32, a few steps).
final class CompareEndToEndTests: XCTestCase {
    /// Records a run of `steps` steps on `mesh` with `extra` options into `folder/name`.
    func record(_ name: String, mesh: String, steps: Int = 5, _ extra: [String] = [], in folder: URL) throws -> String {
        let path = folder.appendingPathComponent(name).path
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--no-tui", "--mesh", mesh, "--flavor", "tiny",
                                            "--seq-len", "32", "--steps", String(steps), "--peak-tflops", "0.1",
                                            "--dump-folder", try dumpFolder(in: folder), "--metrics-file", path] + extra,
                                           environment: EndToEndRun.rankEnvironment, timeout: 300)
        guard result.status == 0 else { throw EndToEndError(description: "\(name): status \(result.status): \(result.stderr)") }
        return path
    }

    func testThreeRunsShowThreeColouredCurvesTheLegendAndTheVerdicts() throws {
        let folder = try makeTemporaryFolder(for: self, "e2e-compare")
        let runs = [try record("4x1.jsonl", mesh: "4x1", in: folder), try record("seed1.jsonl", mesh: "2x2", ["--seed", "1"], in: folder),
                    try record("seed2.jsonl", mesh: "1x4", ["--seed", "2"], in: folder)]
        let exitFile = folder.appendingPathComponent("exit").path
        let tmux = try TmuxSession(width: 120, height: 36, environment: ["NO_COLOR": ""])
        try tmux.type("\(try Products.executable("meshtop")) compare \(runs.joined(separator: " ")); echo $? > \(exitFile)", enter: true)
        let screen = try tmux.waitFor(text: "Verdicts against [4, 1] replicate")
        let text = screen.joined(separator: "\n")
        for label in ["[4, 1] replicate", "[2, 2] hsdp", "[1, 4] fsdp"] { XCTAssertTrue(text.contains(label), text) }
        XCTAssertTrue(screen.contains { $0.contains("[2, 2] hsdp") && $0.contains("diverges from step 1") }, text)
        XCTAssertTrue(screen.contains { $0.contains("[1, 4] fsdp") && $0.contains("diverges from step 1") }, text)
        XCTAssertTrue(text.contains("2 of 2 not within rtol of the first"), text)

        // The loss chart's braille cells, by the colour tmux draws each in: one per run.
        let coloured = try tmux.capture(escapes: true)
        let top = try XCTUnwrap(screen.firstIndex { $0.contains("Loss · by step") })
        let bottom = try XCTUnwrap(screen.firstIndex { $0.contains("Loss difference") })
        let colours = Set(coloured[top ..< bottom].flatMap(Self.brailleColours))
        XCTAssertEqual(colours.count, 3, "the colours of the loss chart's braille cells: \(colours.sorted())\n\(text)")

        // g: the grad norm; a: by tokens; q quits with the verdicts' status.
        try tmux.type("g")
        try tmux.waitFor(text: "Grad norm · by step")
        try tmux.type("a")
        try tmux.waitFor(text: "Grad norm · by tokens seen")
        try tmux.type("q")
        XCTAssertEqual(try EndToEndRun.line(writtenTo: exitFile, timeout: 10), "1", "not every run is within rtol of the first")
        let after = try tmux.waitFor(text: "result: 2 of 2 runs not within 1e-5 of the first")
        XCTAssertTrue(after.contains { $0.contains("verdicts against run 1 ([4, 1] replicate):") }, after.joined(separator: "\n"))
    }

    /// The live run's loss chart shows REF and the verdict so far: another learning rate has the
    /// same first step and parts at step 2.
    func testRunCompareShowsTheDivergenceLiveInTheDashboard() throws {
        let folder = try makeTemporaryFolder(for: self, "e2e-live-compare")
        let reference = try record("ref.jsonl", mesh: "4x1", steps: 6, in: folder)
        let exitFile = folder.appendingPathComponent("exit").path
        let tmux = try TmuxSession(width: 120, height: 36, environment: EndToEndRun.rankEnvironment.merging(["NO_COLOR": ""]) { $1 })
        try tmux.type("\(try Products.executable("meshtop")) run --flavor tiny --mesh 2x2 --seq-len 32 --steps 6 --peak-tflops 0.1"
                      + " --lr 1e-3 --dump-folder \(try dumpFolder(in: folder)) --compare \(reference); echo $? > \(exitFile)", enter: true)
        let screen = try tmux.waitFor("the divergence and the run's end", timeout: 120) { screen in
            screen.contains { $0.contains("vs ref.jsonl: diverged at step 2: loss ") } && screen.contains { $0.contains("finished") }
        }
        XCTAssertTrue(screen.contains { $0.contains("ref [4, 1] replicate") }, "the legend names REF:\n" + screen.joined(separator: "\n"))
        try tmux.type("q")
        XCTAssertEqual(try EndToEndRun.line(writtenTo: exitFile, timeout: 30), "0")
        try tmux.waitFor(text: "vs ref.jsonl: diverged at step 2")  // the summary left on the terminal says it too
    }

    /// The foreground colour of each braille character of `line` (SGR 38;5;N, 38;2;R;G;B, 3N, 9N).
    static func brailleColours(_ line: String) -> [String] {
        var colour = "default", out: [String] = []
        var scalars = Array(line.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            if scalar == "\u{1B}", scalars.first == "[" {
                scalars.removeFirst()
                var sequence = ""
                while let next = scalars.popFirst(), next != "m" { sequence.unicodeScalars.append(next) }
                let parameters = sequence.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
                var i = 0
                while i < parameters.count {
                    let p = parameters[i]
                    if p == "38", i + 1 < parameters.count {
                        let width = parameters[i + 1] == "5" ? 3 : 5
                        colour = parameters[i ..< min(parameters.count, i + width)].joined(separator: ";")
                        i += width
                        continue
                    }
                    if p == "0" || p == "" || p == "39" { colour = "default" }
                    if let n = Int(p), (30 ... 37).contains(n) || (90 ... 97).contains(n) { colour = p }
                    i += 1
                }
            } else if (0x2801 ... 0x28FF).contains(scalar.value) {
                out.append(colour)
            }
        }
        return out
    }
}
