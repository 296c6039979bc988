import Foundation
import RunSpec
import TestSupport
import XCTest

/// Every case of the bad-input audit (`BadInputCases.swift`), run as a user runs it: the real
/// executable in a folder of prepared files. Each must end with status 2 and one line on stderr
/// that names the input and says what is wrong, with no Foundation dump or Swift type name, and
/// nothing started (a stand-in mpirun first on PATH records any launch) or written (the folder,
/// HOME included, is the same afterwards to the byte and the second).
final class BadInputTests: XCTestCase {
    static let forbidden = ["NSCocoaErrorDomain", "Error Domain=", "Swift.", "Foundation.", "Optional(", "Error(",
                            "ConfigError", "LaunchError", "InputError", "DatasetError", "TokenizerError", "CheckpointError",
                            "SafeTensorsError", "MeshError", "ThemeFileError", "ValidationError", "CocoaError",
                            "DecodingError", "PlanError", "ModelError", "UnknownFlavor", "InvalidConfig", "Usage:"]

    func testMeshtopRunRefusesEveryBadInputBeforeLaunching() throws {
        try check(BadInput.run)
    }

    func testReplayExportTokenizeMeshesAndPlanRefuseEveryBadInput() throws {
        try check(BadInput.otherCommands)
    }

    func testCompareAndRunCompareRefuseEveryBadInput() throws {
        try check(BadInput.compare)
    }

    func testMeshtopRankRefusesEveryBadInputBeforeStarting() throws {
        try check(BadInput.rankCommand)
    }

    func testTheAuditHasAtLeastSixtyCases() {
        XCTAssertGreaterThanOrEqual(BadInput.run.count + BadInput.otherCommands.count + BadInput.rankCommand.count, 60)
    }

    /// The stand-in mpirun does see a launch: without this, "nothing was started" could not fail.
    func testTheStandInMPIRunSeesAGoodRun() throws {
        let fixture = try BadInputFixture(for: self)
        let result = try fixture.run(BadInput.meshtop(["run", "--no-tui", "--flavor", "tiny", "--steps", "1"]))
        XCTAssertTrue(FileManager.default.fileExists(atPath: fixture.launchMarker), result.stderr)
    }

    private func check(_ cases: [BadInput]) throws {
        let fixture = try BadInputFixture(for: self)
        let before = try fixture.snapshot()
        for input in cases {
            let result = try fixture.run(input)
            let label = "\(input.program.rawValue) \(input.arguments.joined(separator: " "))"
            XCTAssertEqual(result.status, 2, "\(label): status; stderr: \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(label): stdout")
            let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertEqual(lines.count, 2, "\(label): not one line: \(result.stderr)")  // the line, then "" after its newline
            let line = String(lines.first ?? "")
            XCTAssertTrue(line.hasPrefix("\(input.program.rawValue): "), "\(label): \(line)")
            for expected in input.says {
                XCTAssertTrue(line.contains(expected), "\(label): says no \"\(expected)\": \(line)")
            }
            for word in Self.forbidden {
                XCTAssertFalse(result.stderr.contains(word), "\(label): \"\(word)\" in \(result.stderr)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.launchMarker), "\(label): mpirun was started")
            let after = try fixture.snapshot()
            XCTAssertEqual(after, before, "\(label): written: \(Set(after).symmetricDifference(before).sorted())")
            if after != before { try fixture.restore(before) }  // so the next case is judged on its own
        }
    }
}

/// The folder the cases run in: files of every wrong kind, an empty HOME, and a stand-in
/// `mpirun` that leaves a marker when anything launches.
struct BadInputFixture {
    let root: URL
    var launchMarker: String { root.appendingPathComponent("MPIRUN-STARTED").path }

    init(for test: XCTestCase) throws {
        root = try makeTemporaryFolder(for: test, "bad-input")
        let fm = FileManager.default
        for folder in ["folder", "home", "bin", "broken-checkpoint", "checkpoints/step-000001", "nobody/data"] {
            try fm.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let files: [(String, String)] = [
            ("empty.txt", ""), ("notes.md", "not data\n"), ("input.txt", "To be, or not to be\n"),
            ("bad.json", "{not json"), ("vocab.json", "{\"a\": 1}"), ("bad.bin", "not an llm.c token file"),
            ("bad.safetensors", "\u{10}\0\0\0\0\0\0\0{not a header}"), ("bad.toml", "[training\nsteps = 3\n"),
            ("wrongtype.toml", "[training]\nsteps = \"ten\"\n"), ("bad.theme", "this is not a theme line\n"),
            ("secret.txt", "only root reads this\n"), ("broken-checkpoint/manifest.json", "{}"),
            ("checkpoints/step-000001/manifest.json", "{\"format\": 1}"), ("negative.toml", "[training]\nsteps = -3\n"),
            ("bin/mpirun", "#!/bin/sh\ntouch '\(root.path)/MPIRUN-STARTED'\nexit 1\n"),
        ]
        for (name, text) in files {
            try text.write(to: root.appendingPathComponent(name), atomically: false, encoding: .utf8)
        }
        // Copies nobody can run wherever the build is (a clone under /root is closed to others),
        // with the shipped tokenizer beside them for the options that default to it.
        for program in BadInput.Program.allCases {
            let copy = root.appendingPathComponent("nobody/\(program.rawValue)").path
            try fm.copyItem(atPath: try Products.executable(program.rawValue), toPath: copy)
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy)
        }
        try fm.copyItem(atPath: Products.dataFile("tokenizer.json"), toPath: root.appendingPathComponent("nobody/data/tokenizer.json").path)
        try fm.setAttributes([.posixPermissions: 0o000], ofItemAtPath: root.appendingPathComponent("secret.txt").path)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.appendingPathComponent("bin/mpirun").path)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.path)
    }

    func run(_ input: BadInput) throws -> ProcessResult {
        let arguments = input.arguments.map { $0 == "@tokenizer" ? Products.dataFile("tokenizer.json") : $0 }
        var command = [try Products.executable(input.program.rawValue)] + arguments
        var environment = ["HOME": root.appendingPathComponent("home").path,
                           "PATH": root.appendingPathComponent("bin").path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")]
        // Root reads a file of mode 000 all the same: such a case runs as nobody, from the copies.
        if input.unprivileged && getuid() == 0 {
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                       root.appendingPathComponent("nobody/\(input.program.rawValue)").path] + arguments
            environment["MESHTOP_DATA_DIR"] = root.appendingPathComponent("nobody/data").path
        }
        return try ProcessRunner.run(command, environment: environment, in: root, timeout: 60)
    }

    /// Removes what a case wrote that `snapshot` did not have.
    func restore(_ snapshot: [String]) throws {
        let kept = Set(snapshot.map { String($0.split(separator: " ")[0]) })
        for entry in try self.snapshot() {
            let path = String(entry.split(separator: " ")[0])
            if !kept.contains(path) { try? FileManager.default.removeItem(at: root.appendingPathComponent(path)) }
        }
    }

    /// Every path below the root with its kind, size and modification time.
    func snapshot() throws -> [String] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root.path) else { return [] }
        var entries: [String] = []
        for case let path as String in walker {
            let attributes = try fm.attributesOfItem(atPath: root.appendingPathComponent(path).path)
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            let type = (attributes[.type] as? FileAttributeType)?.rawValue ?? "?"
            entries.append("\(path) \(type) \(attributes[.size] ?? 0) \(modified)")
        }
        return entries.sorted()
    }
}
