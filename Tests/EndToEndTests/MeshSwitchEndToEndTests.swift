import Foundation
import TestSupport
import XCTest

/// Issue 8's acceptance on a real terminal: a tiny run on (2,2) is switched from the keyboard to
/// (4,1), to (1,4), then to 2 ranks on (1,2); it completes, and its losses are those of a run
/// that never switched. Each switch is asked for while the run is paused (p), so the test does
/// not race the steps; the new ranks start unpaused and are paused again before the next one.
final class MeshSwitchEndToEndTests: XCTestCase {
    static let steps = 80

    func testKeyboardSwitchesKeepTheLossCurve() throws {
        let meshtop = try Products.executable("meshtop")
        let folder = try makeTemporaryFolder(for: self, "switch")
        let metrics = folder.appendingPathComponent("switched.jsonl").path
        let exitFile = folder.appendingPathComponent("exit").path
        let common = ["--flavor", "tiny", "--steps", String(Self.steps)]

        let tmux = try TmuxSession(width: 120, height: 40, environment: EndToEndRun.rankEnvironment.merging(["NO_COLOR": ""]) { $1 })
        try tmux.type(([meshtop, "run", "--mesh", "2x2"] + common
                       + ["--checkpoint-dir", folder.path + "/ckpt", "--metrics-file", metrics]).joined(separator: " ")
                      + "; echo $? > \(exitFile)", enter: true)
        try tmux.waitFor("step 3", timeout: 60) { (DashboardEndToEndTests.step(in: $0) ?? 0) >= 3 }

        // (2,2) -> (4,1): the picker opens on the running mesh; (4,1) is the row above.
        try switchMesh(tmux, keys: ["Up"], to: "[4, 1]")
        // (4,1) -> (1,4): two rows down.
        try switchMesh(tmux, keys: ["Down", "Down"], to: "[1, 4]")
        // 4 ranks -> 2: two worlds down the first row is (2,1); (1,2) is below it.
        try switchMesh(tmux, keys: ["<", "<", "Down"], to: "[1, 2]")

        try tmux.waitFor("the run to finish", timeout: 180) { $0.first?.contains("finished") ?? false }
        try tmux.type("q")
        XCTAssertEqual(try EndToEndRun.line(writtenTo: exitFile, timeout: 30), "0")

        // The same run without switching, headless.
        let baseline = folder.appendingPathComponent("baseline.jsonl").path
        let plain = try ProcessRunner.run([meshtop, "run", "--no-tui", "--mesh", "2x2"] + common + ["--metrics-file", baseline],
                                          environment: EndToEndRun.rankEnvironment,
                                          timeout: 300)
        XCTAssertEqual(plain.status, 0, plain.stderr)

        let switched = try Self.losses(metrics), reference = try Self.losses(baseline)
        XCTAssertEqual(Set(switched.keys), Set(1 ... Self.steps), "the switched run did not record every step once")
        XCTAssertEqual(Set(reference.keys), Set(1 ... Self.steps))
        var worst = 0.0
        for step in 1 ... Self.steps {
            guard let a = switched[step], let b = reference[step] else { continue }
            worst = max(worst, abs(a - b) / abs(b))
        }
        print("largest relative loss difference over \(Self.steps) steps: \(worst)")
        XCTAssertLessThanOrEqual(worst, 1e-5, "largest relative loss difference \(worst)")
        XCTAssertEqual(try Self.meshes(metrics), ["2x2", "4x1", "1x4", "1x2"], "the meshes the run's hellos name")
    }

    /// Pauses, opens the picker, moves with `keys`, applies, and waits until the header says the
    /// run switched to `mesh`; then pauses the new ranks for the next switch.
    private func switchMesh(_ tmux: TmuxSession, keys: [String], to mesh: String) throws {
        try tmux.type("p")
        try tmux.waitFor("the run to pause", timeout: 60) { $0.first?.contains("paused") ?? false }
        try tmux.type("m")
        try tmux.waitFor(text: "Mesh picker")
        for key in keys { try tmux.press(key) }
        try tmux.waitFor(text: "Enter: switch to \(mesh)")
        try tmux.press("Enter")
        try tmux.waitFor("the switch to \(mesh)", timeout: 120) { $0.contains { $0.contains("switched to \(mesh) in") } }
    }

    /// Loss by step from a metrics file (a repeated step keeps its last value).
    static func losses(_ path: String) throws -> [Int: Double] {
        var out: [Int: Double] = [:]
        for object in try events(path, kind: "step") {
            if let step = object["step"] as? Int, let loss = object["loss"] as? Double { out[step] = loss }
        }
        return out
    }

    /// "RxS" of every hello, in order.
    static func meshes(_ path: String) throws -> [String] {
        try events(path, kind: "hello").compactMap { object in
            (object["mesh"] as? [String: Any]).flatMap { mesh in
                (mesh["replicate"] as? Int).flatMap { r in (mesh["shard"] as? Int).map { "\(r)x\($0)" } }
            }
        }
    }

    static func events(_ path: String, kind: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["event"] as? String == kind else { return nil }
            return object
        }
    }
}
