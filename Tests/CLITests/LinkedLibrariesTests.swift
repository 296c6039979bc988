import TestSupport
import XCTest

/// The front end follows a run and plans meshes; only the ranks train. So `meshtop` must not
/// pull in MPI or OpenBLAS (issue 15): what ldd lists is what the dynamic loader will load.
final class LinkedLibrariesTests: XCTestCase {
    func testMeshtopLinksNeitherMPINorOpenBLAS() throws {
        let libraries = try linked("meshtop")
        XCTAssertTrue(libraries.contains { $0.hasPrefix("libncursesw") }, libraries.joined(separator: ", "))
        XCTAssertEqual(libraries.filter { $0.contains("mpi") || $0.contains("openblas") }, [])
    }

    /// The check itself can tell: the ranks do link both.
    func testMeshtopRankLinksMPIAndOpenBLAS() throws {
        let libraries = try linked("meshtop-rank")
        XCTAssertTrue(libraries.contains { $0.hasPrefix("libmpi") }, libraries.joined(separator: ", "))
        XCTAssertTrue(libraries.contains { $0.hasPrefix("libopenblas") }, libraries.joined(separator: ", "))
    }

    /// The library names `ldd` prints for an executable, one per line before " => ".
    private func linked(_ executable: String) throws -> [String] {
        let result = try ProcessRunner.run(["/usr/bin/ldd", try Products.executable(executable)])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.split(separator: "\n").map {
            String($0.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
    }
}
