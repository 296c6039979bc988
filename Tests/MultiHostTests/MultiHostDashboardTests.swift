import Foundation
import TestSupport
import XCTest

/// The dashboard of a run across two test hosts, on a real terminal (tmux): the ranks in host
/// rows (shards within a host), each cell naming its host, the title counting the hosts, and the
/// selected rank's group that crosses hosts flagged.
final class MultiHostDashboardTests: XCTestCase {
    func testTheMeshPanelShowsTheHostsAndTheGroupThatCrossesThem() throws {
        let hosts = try TestHosts(2)
        defer { try? hosts.down() }
        let folder = try makeTemporaryFolder(for: self, "mh-tui")
        let exitFile = folder.appendingPathComponent("exit").path
        let tmux = try TmuxSession(width: 120, height: 36, environment: hosts.environment.merging([
            "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "NO_COLOR": "",
        ]) { $1 })
        try tmux.type("\(try Products.executable("meshtop")) run --hostfile \(hosts.hostfile) --flavor tiny --steps 5000"
                      + " --peak-tflops 0.1 --dump-folder \(folder.path)/out; echo $? > \(exitFile)", enter: true)
        let screen = try tmux.waitFor(text: "· 2 hosts", timeout: 90)
        let names = try TestHostNames.names(hosts)
        XCTAssertTrue(screen.contains { $0.contains("· 2 hosts ") && $0.contains("/step across") },
                      "the title gives the bytes a step sends between hosts: \(screen.joined(separator: "\n"))")
        // Rank 0 is selected: its shard group (row) is on its host, its replicate group (column) is not.
        XCTAssertTrue(screen.contains { $0.contains("rank 0 (r0, s0) \(names[0])") && $0.contains("replicate group across hosts") },
                      screen.joined(separator: "\n"))
        XCTAssertTrue(screen.contains { $0.contains("r0 \(names[0])") && $0.contains("r1 \(names[0])") }, "row 0 on host 1")
        XCTAssertTrue(screen.contains { $0.contains("r2 \(names[1])") && $0.contains("r3 \(names[1])") }, "row 1 on host 2")
        // Down to rank 2, on the other host: the same, there.
        try tmux.press("Down")
        try tmux.waitFor(text: "rank 2 (r1, s0) \(names[1])")
        XCTAssertEqual(try tmux.quitMeshtop(exitFile: exitFile), "0")
        XCTAssertEqual(try hosts.processes(), [], "no process of the job left on either host")
    }
}

private enum TestHostNames {
    /// The test hosts' own names (their hostnames), in the hostfile's order.
    static func names(_ hosts: TestHosts) throws -> [String] {
        let k = try String(contentsOfFile: hosts.folder + "/state", encoding: .utf8).split(separator: " ")[0]
        return ["mt\(k)-1", "mt\(k)-2"]
    }
}
