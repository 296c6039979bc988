import FrontendCLI
import TestSupport
import XCTest

final class MeshesCommandTests: XCTestCase {
    func testListsEveryMeshForSixRanks() throws {
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "meshes", "--np", "6"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdoutLines, [
            "6x1     [6, 1]  replicate",
            "3x2     [3, 2]  HSDP",
            "2x3     [2, 3]  HSDP",
            "1x6     [1, 6]  FSDP",
        ])
    }

    func testRejectsZeroRanks() throws {
        XCTAssertThrowsError(try MeshesCommand.parse(["--np", "0"]))
    }
}
