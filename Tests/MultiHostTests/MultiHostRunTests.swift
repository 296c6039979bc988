import Foundation
import Planner
import RunSpec
import Launcher
import Telemetry
import TestSupport
import XCTest

/// `meshtop run` across hosts, for real: Open MPI over TCP between test hosts made by
/// scripts/testhosts.sh (network namespaces on this machine), no ssh.
final class MultiHostRunTests: XCTestCase {
    /// 2 hosts x 2 ranks on (2, 2), each replica's shards on one host: the run completes, the
    /// hello places the ranks on the two hosts, and the losses are the one-host run's.
    func testTwoHostsOfTwoRanksTrainAsOneHostDoes() throws {
        let hosts = try TestHosts(2)
        defer { try? hosts.down() }
        let folder = try makeTemporaryFolder(for: self, "multihost")
        let options = ["--mesh", "2x2", "--flavor", "tiny", "--seq-len", "32", "--steps", "6", "--peak-tflops", "0.1",
                       "--dump-folder", folder.appendingPathComponent("out").path]
        let across = try run(options + ["--hostfile", hosts.hostfile], environment: hosts.environment, in: folder, "across")
        XCTAssertEqual(try hosts.processes(), [], "every process of the job ended with it")
        let hello = try XCTUnwrap(across.hello)
        let placement = Dictionary(grouping: hello.ranks, by: \.host).mapValues { $0.map(\.rank).sorted() }
        XCTAssertEqual(placement.count, 2, "\(placement)")
        XCTAssertEqual(placement.values.sorted { $0[0] < $1[0] }, [[0, 1], [2, 3]], "shards within a host: \(placement)")
        XCTAssertTrue(placement.keys.allSatisfy { $0.hasPrefix("mt") }, "the test hosts' own names: \(placement)")
        let names = placement.keys.sorted()
        XCTAssertTrue(across.stderr.contains("meshtop: ranks on 2 hosts: \(names[0]) 0-1, \(names[1]) 2-3; "
                                             + "shard groups within hosts, replicate groups across hosts"), across.stderr)
        // The same line gives the planner's bytes across hosts for this placement (which
        // InterHostBytesTests matches to the links' counters).
        let spec = try XCTUnwrap(hello.spec)
        let predicted = InterHostPrediction.perStep(Workload(model: spec.model, localBatchSize: spec.localBatchSize, seqLen: spec.seqLen),
                                                    mesh: try MeshShape(replicate: 2, shard: 2), hostOfRank: [0, 0, 1, 1])
        XCTAssertGreaterThan(predicted, 0)
        XCTAssertTrue(across.stderr.contains("across hosts; ~\(String(format: "%.1f", Double(predicted) / 1e6)) MB a step across hosts (predicted for this placement)"),
                      across.stderr)
        // The front end's recording carries it too; one host's has none.
        XCTAssertEqual(hello.predictedInterHostBytesPerStep, predicted)

        let local = try run(options + ["--np", "4"], environment: [:], in: folder, "local")
        XCTAssertEqual(local.losses.count, 6)
        XCTAssertNil(try XCTUnwrap(local.hello).predictedInterHostBytesPerStep)
        XCTAssertEqual(across.losses.count, local.losses.count)
        for (a, b) in zip(across.losses, local.losses) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    /// The listener binds loopback for ranks on this machine, and the address the hosts route to otherwise.
    func testTheTelemetryListenerBindsNoWiderThanTheRanksNeed() throws {
        XCTAssertEqual(try TelemetryBinding.address(for: nil), "127.0.0.1")
        XCTAssertEqual(try TelemetryBinding.address(for: Hostfile(text: "localhost slots=4\n", name: "h")), "127.0.0.1")
        let hosts = try TestHosts(2)
        defer { try? hosts.down() }
        let file = try Hostfile(path: hosts.hostfile)
        let bridge = try XCTUnwrap(file.hosts.first?.name.split(separator: ".").dropLast().joined(separator: "."))
        XCTAssertEqual(try TelemetryBinding.address(for: file), bridge + ".1", "the bridge's address, the hosts' route back")
    }

    struct Run {
        var hello: Hello?
        var losses: [Double]
        var stderr: String
    }

    private func run(_ options: [String], environment: [String: String], in folder: URL, _ name: String) throws -> Run {
        let metrics = folder.appendingPathComponent("\(name).jsonl").path
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "run", "--no-tui", "--metrics-file", metrics]
                                           + options, environment: environment, timeout: 300)
        XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
        let records = try TelemetryFileReader.readAll(path: metrics).records
        var run = Run(hello: nil, losses: [], stderr: result.stderr)
        for record in records {
            switch record.event {
            case .hello(let hello): run.hello = hello
            case .step(let step): run.losses.append(step.loss)
            default: break
            }
        }
        return run
    }
}

/// A connection to the front end's listener from another host, without the token, while a run
/// across hosts streams: refused and said, and the run completes as if it had not happened.
final class ForeignConnectionTests: XCTestCase {
    func testAConnectionWithoutTheTokenIsRefusedAndTheRunGoesOn() throws {
        let hosts = try TestHosts(2)
        defer { try? hosts.down() }
        let folder = try makeTemporaryFolder(for: self, "foreign")
        let metrics = folder.appendingPathComponent("m.jsonl").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Products.executable("meshtop"))
        process.arguments = ["run", "--no-tui", "--hostfile", hosts.hostfile, "--flavor", "tiny", "--seq-len", "32",
                             "--steps", "40", "--peak-tflops", "0.1", "--dump-folder", folder.appendingPathComponent("out").path,
                             "--metrics-file", metrics]
        process.environment = ProcessInfo.processInfo.environment.merging(hosts.environment) { $1 }
        let stderr = folder.appendingPathComponent("stderr").path
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The listener's address, as the ranks got it (their environment), once one runs.
        var address: String?
        let deadline = Date().addingTimeInterval(60)
        while address == nil && Date() < deadline && process.isRunning {
            for pid in try hosts.processes() {
                let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))) ?? Data()
                let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                if let found = variables.first(where: { $0.hasPrefix("MESHTOP_TELEMETRY=") }) {
                    address = String(found.dropFirst("MESHTOP_TELEMETRY=".count))
                }
            }
            if address == nil { usleep(100_000) }
        }
        let listener = try XCTUnwrap(address, "no rank showed the telemetry address")
        let parts = listener.split(separator: ":")
        XCTAssertTrue(parts[0].hasPrefix("10.213."), "the listener is on the test subnet, not 0.0.0.0: \(listener)")
        // From the second host: a hello with a wrong token.
        let namespace = "/run/netns/" + (try namespaceOfSecondHost(hosts))
        let hello = #"{"event":"hello","schema":1,"time":0,"token":"not-the-token"}"#
        let foreign = try ProcessRunner.run(["nsenter", "--net=\(namespace)", "bash", "-c",
                                             "exec 3<>/dev/tcp/\(parts[0])/\(parts[1]) && echo '\(hello)' >&3 && sleep 0.5"],
                                            timeout: 30)
        XCTAssertEqual(foreign.status, 0, foreign.stderr)
        process.waitUntilExit()
        let said = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 0, said)
        XCTAssertTrue(said.contains("meshtop: refused a telemetry connection ("), said)
        let steps = try TelemetryFileReader.readAll(path: metrics).records.filter { if case .step = $0.event { return true }; return false }
        XCTAssertEqual(steps.count, 40, "the run went on")
    }

    private func namespaceOfSecondHost(_ hosts: TestHosts) throws -> String {
        let state = try String(contentsOfFile: hosts.folder + "/state", encoding: .utf8).split(separator: " ")
        return "mt\(state[0])-2"
    }
}
