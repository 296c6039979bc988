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
        let straight = try losses(common + local + ["--steps", "6"], hosts.environment, folder, "straight")
        XCTAssertEqual(straight.count, 6)

        // Two hosts write step 3; one host resumes to step 6.
        let first = folder.appendingPathComponent("ckpt-a").path
        // (The whole 6-step schedule runs; its step-3 checkpoint is the one resumed.)
        _ = try losses(common + across + ["--steps", "6", "--checkpoint-dir", first, "--checkpoint-every", "3"],
                       hosts.environment, folder, "a1")
        let resumedHere = try losses(common + local + ["--steps", "6", "--checkpoint-dir", first, "--resume-step", "3"],
                                     hosts.environment, folder, "a2")
        XCTAssertEqual(resumedHere.keys.sorted(), [4, 5, 6])
        for step in 4 ... 6 { XCTAssertEqual(resumedHere[step]!, straight[step]!, accuracy: 1e-5, "step \(step), 2 hosts -> 1") }

        // One host writes step 3; two hosts resume to step 6.
        let second = folder.appendingPathComponent("ckpt-b").path
        _ = try losses(common + local + ["--steps", "6", "--checkpoint-dir", second, "--checkpoint-every", "3"],
                       hosts.environment, folder, "b1")
        let resumedThere = try losses(common + across + ["--steps", "6", "--checkpoint-dir", second, "--resume-step", "3"],
                                      hosts.environment, folder, "b2")
        XCTAssertEqual(resumedThere.keys.sorted(), [4, 5, 6])
        for step in 4 ... 6 { XCTAssertEqual(resumedThere[step]!, straight[step]!, accuracy: 1e-5, "step \(step), 1 host -> 2") }
    }

    /// The losses by step of a `meshtop run`.
    private func losses(_ options: [String], _ environment: [String: String], _ folder: URL, _ name: String) throws -> [Int: Double] {
        let metrics = folder.appendingPathComponent("\(name).jsonl").path
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--no-tui", "--metrics-file", metrics]
                                           + options, environment: environment, timeout: 300)
        XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
        var losses: [Int: Double] = [:]
        for record in try TelemetryFileReader.readAll(path: metrics).records {
            if case .step(let step) = record.event { losses[step.step] = step.loss }
        }
        return losses
    }
}
