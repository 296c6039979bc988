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
        try tmux(["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height)] + exports
                 + ["bash --norc --noprofile"])
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

    /// The visible screen, one string per row.
    public func capture() throws -> [String] {
        try tmux(["capture-pane", "-p", "-t", name]).components(separatedBy: "\n")
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

    /// Waits until some row contains `text`.
    @discardableResult
    public func waitFor(text: String, timeout: Double = 30) throws -> [String] {
        try waitFor("\"\(text)\"", timeout: timeout) { $0.contains { $0.contains(text) } }
    }

    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        // -u: UTF-8 whatever the locale; -f /dev/null: no user configuration.
        let result = try ProcessRunner.run(["tmux", "-u", "-f", "/dev/null", "-L", socket] + arguments,
                                           environment: ["LANG": "C.UTF-8"], timeout: 10)
        guard result.status == 0 else {
            throw TestSupportError("tmux \(arguments.first ?? ""): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.stdout
    }
}
