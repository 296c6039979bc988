import Foundation

/// What a finished child process left behind.
public struct ProcessResult {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public let timedOut: Bool

    public var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    public var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
}

public enum ProcessRunner {
    /// Runs `arguments[0]` (searched on PATH) with a null stdin, capturing both outputs, in
    /// `directory` (default: this process's). A process still running after `timeout` seconds is
    /// killed with its process group.
    public static func run(_ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil,
                           timeout: TimeInterval = 300) throws -> ProcessResult {
        let process = Process()
        if let directory { process.currentDirectoryURL = directory }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err

        // Read both pipes while the child runs so a chatty child never blocks on a full pipe.
        let captured = Captured()
        let readers = DispatchGroup()
        for (pipe, index) in [(out, 0), (err, 1)] {
            readers.enter()
            DispatchQueue.global().async {
                captured.set(index, pipe.fileHandleForReading.readDataToEndOfFile())
                readers.leave()
            }
        }
        // Woken by the exit itself, not found by polling: most children here end in milliseconds.
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        var timedOut = false
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(-process.processIdentifier, SIGKILL)
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        readers.wait()
        return ProcessResult(status: process.terminationStatus,
                             stdout: String(decoding: captured.get(0), as: UTF8.self),
                             stderr: String(decoding: captured.get(1), as: UTF8.self),
                             timedOut: timedOut)
    }
}

/// The two outputs of a child, filled by the reader threads.
private final class Captured: @unchecked Sendable {
    private let lock = NSLock()
    private var data = [Data(), Data()]
    func set(_ index: Int, _ value: Data) { lock.lock(); data[index] = value; lock.unlock() }
    func get(_ index: Int) -> Data { lock.lock(); defer { lock.unlock() }; return data[index] }
}

/// mpirun as this machine needs it: oversubscribed (tests start more ranks than cores), allowed
/// as root, one BLAS thread per rank. `quiet` adds `-q`, which silences mpirun's own notices.
public enum MPIRun {
    public static func command(ranks: Int, quiet: Bool = false, options: [String] = [], _ program: [String]) -> [String] {
        var args = ["mpirun", "-np", String(ranks), "--oversubscribe", "-x", "OPENBLAS_NUM_THREADS=1"]
        if quiet { args.append("-q") }
        if getuid() == 0 { args.append("--allow-run-as-root") }
        return args + options + program
    }

    /// `options` go to mpirun itself (e.g. `--mca` settings), before the program.
    public static func run(ranks: Int, quiet: Bool = false, options: [String] = [], _ program: [String],
                           timeout: TimeInterval = 300) throws -> ProcessResult {
        try ProcessRunner.run(command(ranks: ranks, quiet: quiet, options: options, program), timeout: timeout)
    }
}
