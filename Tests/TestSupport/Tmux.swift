import Foundation

/// A real terminal for end-to-end tests: a detached tmux session on a private server (so tests
/// never touch a user's tmux), driven with send-keys and read with capture-pane.
public final class TmuxSession {
    public let name: String
    private let socket: String

    /// Starts `bash --norc` in a `width` x `height` window with `environment` exported.
    public init(width: Int, height: Int, environment: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else {
            throw TestSupportError("tmux is not installed (scripts/install-deps.sh installs it)")
        }
        let id = "\(getpid())-\(UInt32.random(in: 0 ... .max))"
        name = "meshtop-e2e-\(id)"
        socket = "meshtop-test-\(id)"
        var env = ["TERM": "tmux-256color", "LANG": "C.UTF-8", "PS1": "$ "]
        env.merge(environment) { $1 }
        let exports = env.map { "-e" + "\($0.key)=\($0.value)" }
        // The server this starts keeps what it inherited: give it no pipes to hold open, and
        // reap the client ourselves (Foundation's Process does not always see it exit).
        try Self.spawnAndWait(["tmux"] + Self.options(socket) + ["new-session", "-d", "-s", name,
                              "-x", String(width), "-y", String(height)] + exports + ["bash --norc --noprofile"])
        // The window follows -x/-y, not a client's size (there is none).
        try tmux(["set-option", "-t", name, "window-size", "manual"])
    }

    deinit { _ = try? tmux(["kill-server"]) }

    /// Types `text` literally (no key-name lookup), then Enter when `enter`.
    public func type(_ text: String, enter: Bool = false) throws {
        try tmux(["send-keys", "-t", name, "-l", text])
        if enter { try tmux(["send-keys", "-t", name, "Enter"]) }
    }

    /// Presses named keys (tmux key names: Escape, Enter, Up, Right, C-c, ...).
    public func press(_ keys: String...) throws {
        try tmux(["send-keys", "-t", name] + keys)
    }

    public func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", name, "-x", String(width), "-y", String(height)])
    }

    /// The visible screen, one string per row; with `escapes`, with the SGR sequences of the
    /// cells' colours and attributes (`capture-pane -e`).
    public func capture(escapes: Bool = false) throws -> [String] {
        try tmux(["capture-pane", "-p"] + (escapes ? ["-e"] : []) + ["-t", name]).components(separatedBy: "\n")
    }

    /// The pane's size as tmux sees it.
    public func size() throws -> (width: Int, height: Int) {
        let parts = try tmux(["display-message", "-p", "-t", name, "#{pane_width} #{pane_height}"])
            .split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return (parts[0], parts[1])
    }

    /// Captures until `predicate` holds of the screen; returns that screen, or throws with the last
    /// one after `timeout` seconds.
    @discardableResult
    public func waitFor(_ what: String, timeout: Double = 30, _ predicate: ([String]) -> Bool) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        var screen: [String] = []
        while Date() < deadline {
            screen = try capture()
            if predicate(screen) { return screen }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TestSupportError("timed out after \(timeout) s waiting for \(what); the screen was:\n"
                               + screen.joined(separator: "\n"))
    }

    /// Quits a live meshtop dashboard (q, then y to stop the run) and returns the exit status the
    /// shell wrote to `exitFile` (the command ran as `meshtop ...; echo $? > exitFile`).
    public func quitMeshtop(exitFile: String, timeout: Double = 30) throws -> String {
        try type("q")
        _ = try waitFor(text: "Stop the run and quit?")
        try type("y")
        let end = Date().addingTimeInterval(timeout)
        while Date() < end && ((try? String(contentsOfFile: exitFile, encoding: .utf8)) ?? "").isEmpty { usleep(100_000) }
        return ((try? String(contentsOfFile: exitFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits until some row contains `text`.
    @discardableResult
    public func waitFor(text: String, timeout: Double = 30) throws -> [String] {
        try waitFor("\"\(text)\"", timeout: timeout) { $0.contains { $0.contains(text) } }
    }

    /// Runs `arguments` (searched on PATH) with /dev/null for its three standard files; waits.
    private static func spawnAndWait(_ arguments: [String]) throws {
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0 ... 2 {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var environment = ProcessInfo.processInfo.environment
        environment["LANG"] = "C.UTF-8"
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
        guard spawned == 0 else { throw TestSupportError("cannot start \(arguments[0]): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else { throw TestSupportError("\(arguments.prefix(6).joined(separator: " ")) ... failed (wait status \(status))") }
    }

    /// -u: UTF-8 whatever the locale; -f /dev/null: no user configuration; -L: a private server.
    private static func options(_ socket: String) -> [String] { ["-u", "-f", "/dev/null", "-L", socket] }

    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        let result = try ProcessRunner.run(["tmux"] + Self.options(socket) + arguments,
                                           environment: ["LANG": "C.UTF-8"], timeout: 10)
        guard result.status == 0 else {
            throw TestSupportError("tmux \(arguments.first ?? ""): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.stdout
    }
}
