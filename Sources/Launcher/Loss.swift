import Foundation
import Telemetry

/// Ranks that went before the run's `done`, and how the front end knows.
public struct Loss: Equatable, Sendable {
    public enum Cause: Equatable, Sendable {
        /// A rank of this host whose process is gone (its /proc entry).
        case processGone
        /// Their heartbeat connections closed: the processes ended (a kernel closes a dead
        /// process's sockets, whatever killed it).
        case connectionsClosed
        /// No heartbeat from any rank of the host for that long while other hosts' ranks beat:
        /// its link is down, or the host stopped.
        case silent(seconds: Double)
    }

    public var ranks: [RankIdentity]
    public var cause: Cause
    /// Every rank the run placed on that host is lost: the host is.
    public var host: String?
    /// The step they were in (their last heartbeat's), when known.
    public var step: Int?

    public init(ranks: [RankIdentity], cause: Cause, host: String? = nil, step: Int? = nil) {
        self.ranks = ranks
        self.cause = cause
        self.host = host
        self.step = step
    }

    /// One local rank whose process is gone.
    public static func process(_ rank: RankIdentity) -> Loss { Loss(ranks: [rank], cause: .processGone) }

    /// What is lost, for a line: "host mt2 (ranks 2, 3)" or "rank 2 (host mt2, pid 4242)".
    public var subject: String {
        let numbers = ranks.map { String($0.rank) }.joined(separator: ", ")
        if let host { return "host \(host) (rank\(ranks.count == 1 ? "" : "s") \(numbers))" }
        if let only = ranks.first, ranks.count == 1 { return "rank \(only.rank) (host \(only.host), pid \(only.pid))" }
        return "ranks \(numbers)"
    }

    /// The line said when it is found, for the causes heartbeats tell (processGone is said at
    /// the end, with how mpirun says the process ended).
    public var line: String? {
        let at = step.map { " in step \($0)" } ?? ""
        switch cause {
        case .processGone: return nil
        case .connectionsClosed:
            return "\(subject) lost\(at): \(ranks.count == 1 ? "its process" : "their processes") ended (heartbeat connection\(ranks.count == 1 ? "" : "s") closed); tearing the job down"
        case .silent(let seconds):
            return "\(subject) lost\(at): no heartbeat for \(String(format: "%.1f", seconds)) s (link down or host stopped); tearing the job down"
        }
    }
}

/// Which ranks are lost, from their heartbeat connections: a pure reading of the receiver's
/// board against the run's hello, so every case is tested without processes.
public enum Liveness {
    public struct Limits: Equatable, Sendable {
        /// Connections that close within this long of the first belong to the same loss (a lost
        /// host's ranks close together; mpirun ends the others about a second later).
        public var settle = 0.25
        /// A host none of whose ranks beat for this long, while others do, is lost.
        public var silence = 5.0
        public init() {}
    }

    /// The pulses of the run's ranks (matched by host and pid: another generation's are not
    /// theirs), by rank.
    public static func pulses(of ranks: [RankIdentity], in board: [HeartbeatReceiver.Pulse]) -> [Int: HeartbeatReceiver.Pulse] {
        let wanted = Set(ranks.map { "\($0.host)/\($0.pid)/\($0.rank)" })
        var mine: [Int: HeartbeatReceiver.Pulse] = [:]
        for pulse in board where wanted.contains("\(pulse.hello.host)/\(pulse.hello.pid)/\(pulse.hello.rank)") {
            mine[pulse.hello.rank] = pulse
        }
        return mine
    }

    /// Ranks of other hosts whose connections closed (this host's are watched through /proc),
    /// once the closures have settled; else a host gone silent; else nil.
    public static func assess(ranks: [RankIdentity], board: [HeartbeatReceiver.Pulse], thisHost: String, now: Double,
                              limits: Limits = Limits()) -> Loss? {
        let mine = pulses(of: ranks, in: board)
        let byHost = Dictionary(grouping: ranks, by: \.host)
        func loss(_ lost: [RankIdentity], _ cause: Loss.Cause) -> Loss {
            let hosts = Set(lost.map(\.host))
            let host = hosts.count == 1 && byHost[hosts.first!]?.count == lost.count ? hosts.first : nil
            let step = lost.compactMap { mine[$0.rank]?.latest?.activity.step }.max()
            return Loss(ranks: lost.sorted { $0.rank < $1.rank }, cause: cause, host: host, step: step)
        }

        let closed = ranks.filter { $0.host != thisHost && mine[$0.rank]?.closedAt != nil }
        if let first = closed.compactMap({ mine[$0.rank]?.closedAt }).min() {
            guard now >= first + limits.settle else { return nil }
            return loss(closed.filter { mine[$0.rank]!.closedAt! <= first + limits.settle }, .connectionsClosed)
        }

        let heard = { (rank: RankIdentity) -> Bool in mine[rank.rank].map { now - $0.lastHeardAt < limits.silence } ?? false }
        guard ranks.contains(where: heard) else { return nil }
        for host in byHost.keys.sorted() {
            let members = byHost[host]!
            let pulses = members.compactMap { mine[$0.rank] }
            guard pulses.count == members.count, !members.contains(where: heard) else { continue }
            return loss(members, .silent(seconds: now - (pulses.map(\.lastHeardAt).max() ?? now)))
        }
        return nil
    }
}
