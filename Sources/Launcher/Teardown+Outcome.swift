import Foundation
import RunSpec

// The job's result, once mpirun has ended: how the teardown went decides part of it.
extension Teardown {
    /// The exit status and the lines to say, from mpirun's status (128 + the signal when one
    /// ended it), rank 0's `done` (nil: none came), whether rank 0's hello was heard, and mpirun's
    /// last stderr lines.
    public func outcome(mpirun: Int32, doneStatus: Int32?, heardHello: Bool, stderr: [String]) -> (status: Int32, lines: [String]) {
        var status = mpirun
        // mpirun was killed for lingering: its status is ours, not the run's.
        if phase == .cutShort, let doneStatus { status = doneStatus }
        var lines: [String] = []
        if let lost {
            // A loss the heartbeats told was said when it was found.
            if lost.cause == .processGone {
                lines.append("\(lost.subject) \(Self.how(status, tornDown: tornDown)) before the run finished; the job was torn down")
            }
            lines += stderr.map { "  mpirun stderr: \($0)" }
            if status == 0 { status = 1 }
        }
        if status == 0, let doneStatus, doneStatus != 0 { status = doneStatus }
        if status == 0 && stoppedHung { status = ExitStatus.failed.rawValue }
        // The ranks said hello but rank 0 never said done: the run did not end well.
        if status == 0 && doneStatus == nil && heardHello { status = 1 }
        return (status, lines)
    }

    /// The supervisor sent SIGTERM or SIGKILL (not mpirun ending the job by itself).
    private var tornDown: Bool {
        switch phase {
        case .terminating, .killed: true
        case .running, .stopping, .cutShort: false
        }
    }

    /// How a lost rank ended, as far as mpirun's status tells: it ends with the first rank's
    /// status unless we tore it down first.
    private static func how(_ status: Int32, tornDown: Bool) -> String {
        if tornDown { return "ended (mpirun did not end the job within 2 s; how the rank ended is unknown)" }
        if status > 128 { return "killed by signal \(status - 128)\(signalName(status - 128).map { " (\($0))" } ?? "")" }
        return status != 0 ? "exited with status \(status)" : "ended (how is unknown)"
    }

    static func signalName(_ number: Int32) -> String? {
        [SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT",
         SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGFPE: "SIGFPE", SIGHUP: "SIGHUP", SIGPIPE: "SIGPIPE"][number]
    }
}
