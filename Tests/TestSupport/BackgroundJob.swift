import Foundation

/// A process running in the background, its outputs going to files.
public final class BackgroundJob {
    public let process = Process()
    public let out: URL
    public let err: URL

    /// `environment` is added to this process's.
    public init(_ arguments: [String], folder: URL, environment: [String: String] = [:]) throws {
        out = folder.appendingPathComponent("stdout")
        err = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
    }

    public var pid: pid_t { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var status: Int32 { process.terminationStatus }
    public var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }

    /// True when it ended within `timeout` seconds.
    public func wait(timeout: Double) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.02) }
        return !process.isRunning
    }

    /// Ends it (and, through its own clean-up, its job) if it still runs.
    public func kill() {
        guard process.isRunning else { return }
        Foundation.kill(pid, SIGTERM)
        Foundation.kill(pid, SIGTERM)
        if !wait(timeout: 5) { Foundation.kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}
