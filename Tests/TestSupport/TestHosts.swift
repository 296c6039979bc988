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

    /// Host `i`'s name (1-based), as its ranks report it.
    public func name(_ i: Int) throws -> String {
        let state = try String(contentsOfFile: folder + "/state", encoding: .utf8).split(whereSeparator: { $0 == " " || $0 == "\n" })
        return "mt\(state[0])-\(i)"
    }

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

    /// Bytes that went between the hosts so far: each host's link counts what it sent and
    /// received; a byte from one host to another passes two links.
    public func linkBytes() throws -> Int {
        let state = try String(contentsOfFile: folder + "/state", encoding: .utf8).split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard state.count == 2, let hosts = Int(state[1]) else { throw TestSupportError("\(folder)/state: not understood") }
        var total = 0
        for i in 1 ... hosts {
            for direction in ["rx_bytes", "tx_bytes"] {
                let path = "/sys/class/net/mt\(state[0])v\(i)/statistics/\(direction)"
                total += Int(try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            }
        }
        return total / 2
    }

    /// The processes in the hosts' namespaces now (what a finished job must not leave behind),
    /// or in host `host`'s only (1-based).
    public func processes(host: Int? = nil) throws -> [Int32] {
        let result = try ProcessRunner.run(["bash", Self.script, "processes", folder] + (host.map { [String($0)] } ?? []), timeout: 60)
        return result.stdoutLines.compactMap { Int32($0) }
    }

    /// Takes host `host`'s link (1-based) down or brings it back up.
    public func link(_ host: Int, up: Bool) throws {
        let result = try ProcessRunner.run(["bash", Self.script, "link", folder, String(host), up ? "up" : "down"], timeout: 30)
        guard result.status == 0 else { throw TestSupportError("testhosts.sh link failed: \(result.stderr)") }
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

/// A real Slurm on test hosts (scripts/testslurm.sh): munged and slurmctld here, a slurmd in
/// each host. `environment` holds SLURM_CONF, for salloc, sbatch and scontrol.
public final class TestSlurm {
    public let hosts: TestHosts
    public let environment: [String: String]
    private var isUp = true

    public init(on hosts: TestHosts) throws {
        self.hosts = hosts
        // Not through Foundation's Process: after the daemons' forks its wait for the script never
        // returned (the script a zombie, unreaped); posix_spawn and waitpid do not depend on that.
        let output = hosts.folder + "/slurm-up.out"
        let status = try Self.spawnAndWait(["/bin/bash", Self.script, "up", hosts.folder], output: output)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0, let line = text.split(separator: "\n").last, line.hasPrefix("export SLURM_CONF=") else {
            throw TestSupportError("testslurm.sh up failed (\(status)): \(text)")
        }
        environment = hosts.environment.merging(["SLURM_CONF": String(line.dropFirst("export SLURM_CONF=".count))]) { $1 }
    }

    public func down() throws {
        guard isUp else { return }
        isUp = false
        _ = try Self.spawnAndWait(["/bin/bash", Self.script, "down", hosts.folder], output: "/dev/null")
    }

    /// Runs `arguments` with stdout and stderr to `output` and waits for its exit status.
    static func spawnAndWait(_ arguments: [String], output: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw TestSupportError("\(arguments[0]): posix_spawn failed (\(spawned))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    deinit { try? down() }

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/slurmctld") }

    static var script: String { Products.packageRoot.appendingPathComponent("scripts/testslurm.sh").path }
}
