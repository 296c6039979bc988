import Foundation

/// Test hosts made by `scripts/testhosts.sh` (network and UTS namespaces on one machine): what a
/// multi-host test runs mpirun against. `down()` removes them; so does deinit, if a test failed.
public final class TestHosts {
    /// The folder `up` printed: hostfile, agent, env.
    public let folder: String
    /// mpirun's variables for them (the launch agent, the test subnet for OOB and TCP BTL).
    public let environment: [String: String]
    private var isUp = true

    public var hostfile: String { folder + "/hostfile" }

    /// `count` hosts of `slots` slots, their links shaped to `linkMbit` if given. Needs root.
    public init(_ count: Int, slots: Int = 2, linkMbit: Int? = nil) throws {
        guard getuid() == 0 else { throw TestSupportError("test hosts need root (network namespaces)") }
        var arguments = ["bash", Self.script, "up", String(count), "--slots", String(slots)]
        if let linkMbit { arguments += ["--link-mbit", String(linkMbit)] }
        let result = try ProcessRunner.run(arguments, timeout: 60)
        guard result.status == 0, let folder = result.stdoutLines.last else {
            throw TestSupportError("testhosts.sh up failed (\(result.status)): \(result.stderr)")
        }
        self.folder = folder
        let env = try String(contentsOfFile: folder + "/env", encoding: .utf8)
        var environment: [String: String] = [:]
        for line in env.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { environment[String(pair[0])] = String(pair[1]) }
        }
        self.environment = environment
    }

    /// The processes in the hosts' namespaces now (what a finished job must not leave behind).
    public func processes() throws -> [Int32] {
        let result = try ProcessRunner.run(["bash", Self.script, "processes", folder], timeout: 60)
        return result.stdoutLines.compactMap { Int32($0) }
    }

    public func down() throws {
        guard isUp else { return }
        isUp = false
        let result = try ProcessRunner.run(["bash", Self.script, "down", folder], timeout: 60)
        guard result.status == 0 else { throw TestSupportError("testhosts.sh down failed: \(result.stderr)") }
    }

    deinit { try? down() }

    static var script: String { Products.packageRoot.appendingPathComponent("scripts/testhosts.sh").path }
}
