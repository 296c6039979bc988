import Foundation
import FrontendCLI
import RankCLI
import RunOptions
import RunSpec
import TestSupport
import XCTest

/// Every option `meshtop run` shares with `meshtop-rank` reaches the ranks: set alone to a value
/// that is not its default, it is in the arguments the launcher writes, and the rank parses them
/// back to the same options. The options are walked from the rank's own `--experimental-dump-help`,
/// so one added without a way to the ranks fails here. And `--help` gives every option a text.
final class OptionTravelTests: XCTestCase {
    /// The rank's options that are not the run's to pass (the launcher writes `--mesh` itself).
    static let rankOnly: Set<String> = ["mesh", "metrics-file", "wait-for-start", "help"]
    /// A value for each option whose default is none; numbers with a default get one more.
    static let values: [String: String] = [
        "flavor": "tiny", "dim": "128", "n-layers": "3", "n-heads": "8", "n-kv-heads": "4", "vocab-size": "3000",
        "data": "corpus.txt", "tokenizer": "tok.json", "init-weights": "w.safetensors", "save-weights": "out.safetensors",
        "dump-folder": "elsewhere", "peak-tflops": "0.5", "checkpoint-dir": "ckpt", "keep-checkpoints": "2", "resume-step": "5",
        "decay-ratio": "0.5",  // its default 0.8 plus a quarter is out of range
        "debug-slow-rank": "0:1.5", "debug-stall-rank": "0:3",
    ]

    struct Argument { let name: String; let isFlag: Bool; let defaultValue: String?; let abstract: String }

    /// The arguments `--experimental-dump-help` lists for the (sub)command at `path`.
    static func arguments(_ executable: String, _ path: [String] = []) throws -> [Argument] {
        let result = try ProcessRunner.run([executable, "--experimental-dump-help"], timeout: 60)
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        var command = try XCTUnwrap(root["command"] as? [String: Any])
        for name in path {
            let subcommands = command["subcommands"] as? [[String: Any]] ?? []
            command = try XCTUnwrap(subcommands.first { $0["commandName"] as? String == name }, name)
        }
        return (command["arguments"] as? [[String: Any]] ?? []).compactMap { a in
            guard let names = a["names"] as? [[String: Any]], let long = names.compactMap({ $0["name"] as? String }).last
            else { return nil }
            return Argument(name: long, isFlag: a["kind"] as? String == "flag", defaultValue: a["defaultValue"] as? String,
                            abstract: a["abstract"] as? String ?? "")
        }
    }

    /// Options that only mean something with a checkpoint folder.
    static let needCheckpointDir: Set<String> = ["checkpoint-every", "keep-checkpoints", "resume", "resume-step",
                                                 "resume-latest-valid"]

    /// Each option alone: it changes the run's specification, the arguments written for the ranks
    /// carry it, and the ranks parse them back to the same specification.
    func testEveryOptionOfTheRunReachesTheRanksAndParsesBackTheSame() throws {
        let options = try Self.arguments(try Products.executable("meshtop-rank")).filter { !Self.rankOnly.contains($0.name) }
        XCTAssertGreaterThan(options.count, 30)
        let mesh = try MeshShape(replicate: 1, shard: 1)
        let baseline = try Self.spec(RunCommand.parse([]), mesh: mesh)
        for option in options {
            var given = ["--\(option.name)"]
            if !option.isFlag {
                let value = Self.values[option.name] ?? option.defaultValue.flatMap(Self.another)
                given.append(try XCTUnwrap(value, "--\(option.name): no value to try; add one to OptionTravelTests.values"))
            }
            let prerequisite = Self.needCheckpointDir.contains(option.name) ? ["--checkpoint-dir", "ckpt"] : []
            let spec = try Self.spec(RunCommand.parse(prerequisite + given), mesh: mesh)
            var withPrerequisite = baseline
            withPrerequisite.checkpointDir = prerequisite.isEmpty ? nil : "ckpt"
            XCTAssertNotEqual(spec, withPrerequisite, "--\(option.name) changes nothing in the specification")
            let sent = RankArguments.of(spec)
            XCTAssertTrue(sent.contains("--\(option.name)"), "--\(option.name) does not reach the ranks: \(sent)")
            let rank = try RankCommand.parse(sent)
            XCTAssertEqual(try Self.spec(rank, mesh: mesh), spec, "--\(option.name): \(sent)")
        }
    }

    /// Every option at once, on an HSDP mesh: spec -> rank arguments -> spec is the identity.
    func testASpecificationWithEveryOptionSetSurvivesTheWayToTheRanks() throws {
        let options = try Self.arguments(try Products.executable("meshtop-rank")).filter {
            // one resume option (--resume-step), and the debugmodel (tiny's max_seq_len is below the tried seq_len)
            !Self.rankOnly.contains($0.name) && !["resume", "resume-latest-valid", "flavor"].contains($0.name)
        }
        var given = ["--mesh", "2x3"]
        for option in options {
            given.append("--\(option.name)")
            if !option.isFlag { given.append(try XCTUnwrap(Self.values[option.name] ?? option.defaultValue.flatMap(Self.another))) }
        }
        let spec = try RunOptions.specification(parsing: given)
        XCTAssertEqual(spec.mesh, try MeshShape(replicate: 2, shard: 3))
        let sent = RankArguments.of(spec)
        XCTAssertEqual(try RunOptions.specification(parsing: sent), spec, "\(sent)")
        XCTAssertEqual(sent.filter { $0.hasPrefix("--") }.count, options.count + 1, "every option is written: \(sent)")
    }

    static func spec(_ run: RunCommand, mesh: MeshShape) throws -> RunSpecification {
        try RunOptions.specification(model: run.model, training: run.training, checkpoints: run.checkpoints, mesh: mesh)
    }

    static func spec(_ rank: RankCommand, mesh: MeshShape) throws -> RunSpecification {
        try RunOptions.specification(model: rank.model, training: rank.training, checkpoints: rank.checkpoints,
                                     mesh: rank.mesh ?? mesh)
    }

    func testHelpGivesEveryOptionOfBothExecutablesAText() throws {
        let rank = try Self.arguments(try Products.executable("meshtop-rank"))
        let run = try Self.arguments(try Products.executable("meshtop"), ["run"])
        XCTAssertTrue(Set(rank.map(\.name)).subtracting(["wait-for-start", "metrics-file"]).isSubset(of: Set(run.map(\.name))))
        for argument in rank + run {
            XCTAssertFalse(argument.abstract.isEmpty, "--\(argument.name) has no help text")
        }
    }

    /// A number other than `text`'s (an integer one more, a decimal a quarter more).
    static func another(_ text: String) -> String? {
        if let n = Int(text) { return String(n + 1) }
        if let x = Double(text) { return String(x + 0.25) }
        return nil
    }
}
