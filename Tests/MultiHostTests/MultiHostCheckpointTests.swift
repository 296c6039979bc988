import Foundation
import Telemetry
import TestSupport
import XCTest

/// A checkpoint written by ranks on two hosts resumes on one host, and one written on one host
/// resumes on two: the checkpoint folder is on a path every host sees (here the one file system),
/// and the resumed run's losses are the uninterrupted run's.
final class MultiHostCheckpointTests: XCTestCase {
    func testACheckpointMovesBetweenTwoHostsAndOne() throws {
        let hosts = try TestHosts(2)
        defer { try? hosts.down() }
        let folder = try makeTemporaryFolder(for: self, "mh-ckpt")
        let common = ["--mesh", "2x2", "--flavor", "tiny", "--seq-len", "32", "--peak-tflops", "0.1",
                      "--dump-folder", folder.appendingPathComponent("out").path]
        let across = ["--hostfile", hosts.hostfile]
        let local = ["--np", "4"]
        let straight = try meshtopLosses(common + local + ["--steps", "6"], hosts.environment, folder, "straight")
        XCTAssertEqual(straight.count, 6)

        // Written on two hosts, resumed on one; then the other way. The whole 6-step schedule runs
        // each time; its step-3 checkpoint is the one resumed.
        let moves: [(writer: [String], reader: [String], what: String)] = [(across, local, "2 hosts -> 1"), (local, across, "1 host -> 2")]
        for (index, move) in moves.enumerated() {
            let checkpoints = folder.appendingPathComponent("ckpt-\(index)").path
            _ = try meshtopLosses(common + move.writer + ["--steps", "6", "--checkpoint-dir", checkpoints, "--checkpoint-every", "3"],
                           hosts.environment, folder, "write-\(index)")
            let resumed = try meshtopLosses(common + move.reader + ["--steps", "6", "--checkpoint-dir", checkpoints, "--resume-step", "3"],
                                     hosts.environment, folder, "resume-\(index)")
            XCTAssertEqual(resumed.keys.sorted(), [4, 5, 6], move.what)
            for step in 4 ... 6 { XCTAssertEqual(resumed[step] ?? .nan, straight[step]!, accuracy: 1e-5, "step \(step), \(move.what)") }
        }
    }
}
