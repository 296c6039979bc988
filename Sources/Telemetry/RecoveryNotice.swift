/// A failure the front end recovers from (`--on-failure restart|shrink`) or gives up on: the
/// front end writes it into its recording (`--metrics-file`) between the generations' events;
/// rank 0 never sends one (docs/telemetry.md, "recovery").
public struct RecoveryNotice: Codable, Equatable, Sendable {
    public enum Phase: String, Codable, Sendable {
        /// Lost ranks (or a relaunch that failed); a relaunch on `to` is starting.
        case relaunching
        /// The relaunch's first step came.
        case resumed
        /// Past --max-restarts, or no mesh left: the job ends.
        case gaveUp = "gave_up"
    }

    public var phase: Phase
    /// 1 for the job's first failure.
    public var failure: Int
    /// The ranks lost (empty: a relaunch ended before its first step without losing one).
    public var lostRanks: [Int]
    /// Every rank of this host was lost.
    public var lostHost: String?
    /// The last step completed before the failure.
    public var failedAfterStep: Int?
    /// The mesh it failed on, and the relaunch's (nil when giving up).
    public var from: [Int]
    public var to: [Int]?
    /// The step the relaunch resumed from, and the failure's time to its first step (resumed only).
    public var resumedAtStep: Int?
    public var seconds: Double?
    public var stepsRedone: Int?
    /// The line the front end said.
    public var message: String

    public init(phase: Phase, failure: Int, lostRanks: [Int], lostHost: String?, failedAfterStep: Int?, from: [Int],
                to: [Int]?, resumedAtStep: Int? = nil, seconds: Double? = nil, stepsRedone: Int? = nil, message: String) {
        self.phase = phase; self.failure = failure; self.lostRanks = lostRanks; self.lostHost = lostHost
        self.failedAfterStep = failedAfterStep; self.from = from; self.to = to; self.resumedAtStep = resumedAtStep
        self.seconds = seconds; self.stepsRedone = stepsRedone; self.message = message
    }
}
