import Foundation
import TestSupport
import XCTest

/// Issue 19's acceptance on a real terminal: a tiny 2x2 run with `--on-failure shrink` loses a
/// rank (SIGKILL) after its first checkpoint; the dashboard shows the failure's X on the loss
/// chart, the recovery line in the header, the lost rank under the mesh and the new mesh [1, 2].
final class RecoveryDashboardEndToEndTests: XCTestCase {
    func testAShrinkIsMarkedOnTheChartNamedInTheHeaderAndShowsTheNewMesh() throws {
        let meshtop = try Products.executable("meshtop")
        let folder = try makeTemporaryFolder(for: self, "recovery-tui")
        let metrics = folder.appendingPathComponent("run.jsonl").path
        let exitFile = folder.appendingPathComponent("exit").path
        let tmux = try TmuxSession(width: 200, height: 50, environment: EndToEndRun.rankEnvironment.merging(["NO_COLOR": ""]) { $1 })
        try tmux.type([meshtop, "run", "--mesh", "2x2", "--flavor", "tiny", "--seq-len", "32", "--steps", "60",
                       "--checkpoint-dir", folder.path + "/ckpt", "--checkpoint-every", "5", "--on-failure", "shrink",
                       "--dump-folder", folder.path + "/out", "--metrics-file", metrics].joined(separator: " ")
                      + "; echo $? > \(exitFile)", enter: true)
        try tmux.waitFor("step 8", timeout: 60) { (DashboardEndToEndTests.step(in: $0) ?? 0) >= 8 }
        let hello = try XCTUnwrap(try MeshSwitchEndToEndTests.events(metrics, kind: "hello").first)
        let ranks = try XCTUnwrap(hello["ranks"] as? [[String: Any]])
        let pid = try XCTUnwrap(ranks[3]["pid"] as? Int)
        XCTAssertEqual(kill(pid_t(pid), SIGKILL), 0)

        let screen = try tmux.waitFor("the resumed run's header line", timeout: 120) { lines in
            lines.prefix(2).contains { $0.range(of: #"rank 3 lost at step \d+ on \[2, 2\]; resumed at step \d+ on \[1, 2\]"#,
                                                 options: .regularExpression) != nil }
        }
        XCTAssertTrue(screen[0].contains("mesh [1, 2] FSDP"), screen[0])
        XCTAssertTrue(screen.contains { $0.contains("Mesh [1, 2] FSDP") }, "the mesh panel's title")
        XCTAssertTrue(screen.contains { $0.contains("lost rank 3 at step") }, screen.joined(separator: "\n"))
        let legend = try XCTUnwrap(screen.firstIndex { $0.contains("X failure R resumed") }, screen.joined(separator: "\n"))
        XCTAssertTrue(screen[legend + 2].contains("X") && screen[legend + 3].contains("R"),
                      "the X and R marks on the chart:\n" + screen[legend ... legend + 3].joined(separator: "\n"))

        let end = try tmux.waitFor("the run to finish", timeout: 180) { $0.first?.contains("finished") ?? false }
        // q right after rank 0's done can come before mpirun has ended (the front end then stops
        // the job itself): quit once the last launch's ranks are gone.
        let last = try XCTUnwrap(try MeshSwitchEndToEndTests.events(metrics, kind: "hello").last?["ranks"] as? [[String: Any]])
        let deadline = Date().addingTimeInterval(30)
        while last.contains(where: { kill(pid_t($0["pid"] as? Int ?? 0), 0) == 0 }) && Date() < deadline { usleep(20_000) }
        try tmux.type("q")
        XCTAssertEqual(try EndToEndRun.line(writtenTo: exitFile, timeout: 30), "0", end.joined(separator: "\n"))
    }
}
