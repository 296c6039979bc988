import Foundation
import Model
import Planner
import TestSupport
import XCTest

/// `meshtop plan` as a user runs it: the table's rows, figures and marks, and refused input.
final class PlanCommandTests: XCTestCase {
    func meshtop(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run([try Products.executable("meshtop"), "plan"] + arguments, timeout: 60)
    }

    func testTablePrintsEveryMeshWithItsFiguresAndMarks() throws {
        let result = try meshtop(["--np", "4", "--flavor", "tiny", "--seq-len", "32", "--local-batch-size", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdoutLines
        XCTAssertTrue(lines[0].hasPrefix("tiny (354624 parameters), local batch 2 x seq_len 32"), lines[0])
        let header = lines[1].split(separator: " ").map(String.init)
        let rows = lines[2...4].map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(rows.map { $0[0] }, ["4x1", "2x2", "1x4"])
        // Replicate communicates least, FSDP holds least.
        XCTAssertEqual(rows.map { $0.count == header.count ? $0.last! : "" }, ["C", "", "M"])
        // The parameters column: the whole tiny model (354,624 floats = 1.35 MiB), then halves and quarters of it.
        let params = header.firstIndex(of: "params")!
        XCTAssertEqual(rows.map { $0[params] }, ["1.35", "0.68", "0.34"])
        // The resident column is the ledger plus --runtime-mib.
        let custom = try meshtop(["--np", "4", "--flavor", "tiny", "--seq-len", "32", "--local-batch-size", "2",
                                  "--runtime-mib", "10"])
        let ledger = header.firstIndex(of: "ledger")!, resident = header.firstIndex(of: "resident")!
        for line in custom.stdoutLines[2...4] {
            let row = line.split(separator: " ").map { Double($0) ?? .nan }
            XCTAssertEqual(row[resident] - row[ledger], 10, accuracy: 0.011, line)
        }
    }

    func testRefusesBadInputNamingIt() throws {
        let none = try meshtop(["--np", "0"])
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("--np must be at least 1, got 0"), none.stderr)
        let long = try meshtop(["--np", "2", "--seq-len", "5000"])
        XCTAssertNotEqual(long.status, 0)
        XCTAssertTrue(long.stderr.contains("--seq-len 5000"), long.stderr)
    }
}
