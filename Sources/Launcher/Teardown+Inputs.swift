import Telemetry

// What a teardown goes through, is told and asks for (Teardown.swift).
extension Teardown {
    /// Where the ending stands.
    public enum Phase: Equatable, Sendable {
        /// Nothing asked: the job runs, or ends by itself.
        case running
        /// A stop is under way: SIGTERM at `deadline`. `asked`: rank 0 was asked to stop within
        /// the grace, so its passing is worth a line (not so for a stop at once or a lost rank).
        case stopping(deadline: Double, asked: Bool)
        /// SIGTERM was sent: SIGKILL at `killAt`.
        case terminating(killAt: Double)
        /// SIGKILL was sent: nothing more to send.
        case killed
        /// mpirun lingered after every rank had ended and was killed: rank 0's `done` says how
        /// the run ended, not mpirun's status.
        case cutShort
    }

    public enum Input: Equatable, Sendable {
        /// A turn of the loop began, with the SIGINT/SIGTERM received since the last (often 0) and
        /// the status rank 0's `done` said (nil until it came).
        case tick(signals: Int, doneStatus: Int32? = nil)
        /// The answer to `.sendStop`: whether rank 0 was reached.
        case stopSent(Bool)
        /// What the loop saw of the job this turn (what `looks` asked for).
        case looked(Seen)
        /// The run is hung and `--on-hang stop` says to end it.
        case hung
    }

    public struct Seen: Equatable, Sendable {
        /// The status rank 0's `done` said; nil until it came.
        public var doneStatus: Int32?
        /// Ranks gone before the run's done (nil: none, or not looked for).
        public var lost: Loss?
        /// Every rank is on this host and none runs any more (false: not looked at).
        public var ranksEnded = false

        public init(doneStatus: Int32? = nil, lost: Loss? = nil, ranksEnded: Bool = false) {
            self.doneStatus = doneStatus
            self.lost = lost
            self.ranksEnded = ranksEnded
        }
    }

    public enum Action: Equatable, Sendable {
        /// One of the launcher's own lines.
        case say(String)
        /// Send `stop` to rank 0 now and answer with `.stopSent`.
        case sendStop
        /// The signal to mpirun's process group, mpirun and the ranks of this host.
        case signalJob(Int32)
        /// SIGKILL to mpirun's process group and mpirun (the ranks have ended).
        case killMpirun
        /// SIGKILL to the ranks of this host but the lost ones (their pids).
        case killRanks(sparing: [Int32])
    }
}
