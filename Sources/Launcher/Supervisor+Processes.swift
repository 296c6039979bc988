import Foundation
import RunSpec
import Synchronization

// The operating system's side of supervising a job: the signals the front end takes, the
// signals it sends the job, and /proc (moved out of Supervisor.swift as they were).
extension Supervisor {
    /// Running (a zombie its parent has not reaped yet counts as ended).
    static func alive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return errno == EPERM }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// mpirun's process group (Foundation gives it its own), mpirun, and the ranks we know of.
    static func killJob(pid: pid_t, ranks: [pid_t], signal: Int32) {
        kill(-pid, signal)
        kill(pid, signal)
        for rank in ranks { kill(rank, signal) }
    }

    static var hostName: String { thisHostName }
}

/// Counts SIGINT/SIGTERM instead of dying of them. Installed once per process and kept: a
/// disposition handed back to libdispatch and taken again does not deliver reliably.
final class SignalFlags: Sendable {
    private final class Counts: Sendable {
        let value = Mutex((count: 0, total: 0))
    }
    private let counts: Counts
    /// Kept so they live as long as the process; never used again.
    private let sources: Mutex<[any DispatchSourceSignal]>

    private init(counts: Counts, sources: sending [any DispatchSourceSignal]) {
        self.counts = counts
        self.sources = Mutex(sources)
    }

    static let shared: SignalFlags = {
        let counts = Counts()
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [counts] in counts.value.withLock { $0.count += 1; $0.total += 1 } }
            source.resume()
            sources.append(source)
        }
        return SignalFlags(counts: counts, sources: sources)
    }()

    /// The process's flags, with nothing counted yet.
    static func install(_ signals: [Int32]) -> SignalFlags {
        _ = shared.take()
        return shared
    }

    /// Signals received since the last call.
    func take() -> Int { counts.value.withLock { c in defer { c.count = 0 }; return c.count } }

    /// Nothing: the sources stay (see above); what arrives later is counted for the next job.
    func uninstall() {}

    /// Every signal since the process took them.
    var received: Int { counts.value.withLock { $0.total } }
}

/// The front end's SIGINT and SIGTERM: from the first use on, they are counted (and acted on by
/// the running job's supervisor: stop, then kill), never a death. Take them before anything
/// else installs handlers (a terminal library): a second handler set on top would swallow them.
public enum JobSignals {
    /// Takes SIGINT and SIGTERM now (idempotent).
    public static func take() { _ = SignalFlags.shared }
    /// How many have arrived since they were taken.
    public static var received: Int { SignalFlags.shared.received }
}
