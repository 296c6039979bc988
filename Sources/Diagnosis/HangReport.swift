import Foundation
import RunSpec
import Telemetry

/// What every rank was doing when the run stopped moving, and who the others wait for: a pure
/// reading of the heartbeat board (docs/diagnosis.md).
public struct HangReport: Equatable, Sendable {
    /// One rank as its last beat told it.
    public struct Rank: Equatable, Sendable {
        public var rank: Int
        public var host: String
        public var phase: RankPhase?
        public var step: Int
        public var completedSteps: Int
        public var waitingIn: CollectiveCall?
        public var lastCompleted: CollectiveCall?
        /// Seconds since its last beat arrived.
        public var heardAgo: Double
        /// No beat for longer than `silentAfter`: stopped, or its process is stuck outright.
        public var silent: Bool
    }

    /// A call some ranks are blocked in, and the ranks of its group they wait for.
    public struct Blocker: Equatable, Sendable {
        public var call: CollectiveCall
        public var waiting: [Int]
        /// Since the first of them entered it, seconds.
        public var waitingFor: Double
        /// Ranks of the group that have not entered the call.
        public var notEntered: [Int]
        /// Ranks of the group that entered it but are silent (stopped inside it).
        public var silentInside: [Int]

        /// The ranks the others wait for.
        public var culprits: [Int] { notEntered.isEmpty ? silentInside : notEntered }
    }

    /// Seconds since the last step completed.
    public var stalledFor: Double
    public var ranks: [Rank]
    public var blockers: [Blocker]

    /// The longest any group has waited in a call a peer of theirs has not entered, seconds (0: none).
    public var divergedFor: Double { blockers.filter { !$0.notEntered.isEmpty }.map(\.waitingFor).max() ?? 0 }

    /// The one line that says it.
    public var headline: String {
        guard let first = blockers.first(where: { !$0.culprits.isEmpty }) ?? blockers.first else {
            let silent = ranks.filter(\.silent).map(\.rank)
            if !silent.isEmpty { return "no step for \(Self.seconds(stalledFor)); \(Self.ranks(silent)) silent (stopped?)" }
            return "no step for \(Self.seconds(stalledFor)); no rank is blocked in a collective"
        }
        let call = "\(first.call.operation) #\(first.call.sequence) on \(Self.group(first.call))"
        let waiters = "\(Self.ranks(first.waiting)) wait\(first.waiting.count == 1 ? "s" : "") for it since \(Self.seconds(first.waitingFor))"
        if !first.notEntered.isEmpty {
            let silent = first.notEntered.filter { ranks[$0].silent }
            let note = silent.isEmpty ? "" : " (\(silent == first.notEntered ? "" : Self.ranks(silent) + " ")silent: stopped?)"
            return "\(Self.ranks(first.notEntered))\(note) \(first.notEntered.count == 1 ? "has" : "have") not entered \(call); \(waiters)"
        }
        if !first.silentInside.isEmpty {
            return "\(Self.ranks(first.silentInside)) stopped inside \(call) (no heartbeat); \(waiters)"
        }
        return "\(Self.ranks(first.waiting)) blocked in \(call) since \(Self.seconds(first.waitingFor)); every rank of the group entered it"
    }

    static func group(_ call: CollectiveCall) -> String {
        call.axis == .world ? "the world" : "\(call.axis) \(call.group)"
    }

    static func ranks(_ list: [Int]) -> String {
        (list.count == 1 ? "rank " : "ranks ") + list.map(String.init).joined(separator: ", ")
    }

    public static func seconds(_ value: Double) -> String { value < 10 ? String(format: "%.1f s", value) : "\(Int(value)) s" }
}

extension HangReport {
    /// The report from each rank's newest pulse (rank → pulse, as `Liveness.pulses` gives them).
    /// `silentAfter`: a rank not heard for that long counts as silent (beats come every second).
    public init(mesh: MeshShape, pulses: [Int: HeartbeatReceiver.Pulse], now: Double, stalledFor: Double,
                silentAfter: Double = 3) {
        self.stalledFor = stalledFor
        let ranks = (0 ..< mesh.worldSize).map { r in
            let pulse = pulses[r]
            let a = pulse?.latest?.activity
            let heard = pulse.map { now - $0.lastHeardAt } ?? .infinity
            return Rank(rank: r, host: pulse?.hello.host ?? "?", phase: a?.phase, step: a?.step ?? 0,
                        completedSteps: a?.completedSteps ?? 0, waitingIn: a?.waitingIn, lastCompleted: a?.lastCompleted,
                        heardAgo: heard, silent: heard > silentAfter || pulse?.closedAt != nil)
        }
        self.ranks = ranks
        var calls: [String: (call: CollectiveCall, waiting: [Int])] = [:]
        // A silent rank's last beat is stale: it may say it waits, but it does not any more.
        for rank in ranks where !rank.silent {
            guard let call = rank.waitingIn else { continue }
            let key = "\(call.axis.rawValue)/\(call.group)/\(call.sequence)"
            calls[key, default: (call, [])].waiting.append(rank.rank)
            if call.startedAt < calls[key]!.call.startedAt { calls[key]!.call.startedAt = call.startedAt }
        }
        let entered = { (rank: Int, axis: MeshAxis) -> Int in pulses[rank]?.latest?.activity.entered(axis) ?? 0 }
        blockers = calls.values.map { item in
            let members = Self.members(of: item.call, in: mesh)
            let notEntered = members.filter { entered($0, item.call.axis) < item.call.sequence }
            let silentInside = members.filter { r in !notEntered.contains(r) && ranks[r].silent }
            return Blocker(call: item.call, waiting: item.waiting.sorted(), waitingFor: max(0, now - item.call.startedAt),
                           notEntered: notEntered, silentInside: silentInside)
        }
        // The root first (rootness), then the longest wait (what everything else queued behind).
        .sorted { a, b in
            let (ka, kb) = (Self.rootness(a, ranks), Self.rootness(b, ranks))
            return ka != kb ? ka > kb : a.waitingFor > b.waitingFor
        }
    }

    /// How surely the blocker is the root: its culprits are all silent or busy (3), some are
    /// silent (2), some busy (1); a culprit itself waiting elsewhere only passes a wait along.
    private static func rootness(_ blocker: Blocker, _ ranks: [Rank]) -> Int {
        let culprits = blocker.culprits.map { ranks[$0] }
        let stuck = culprits.filter { $0.silent || $0.waitingIn == nil }
        if !culprits.isEmpty && stuck.count == culprits.count { return 3 }
        if culprits.contains(where: \.silent) { return 2 }
        return stuck.isEmpty ? 0 : 1
    }

    /// The ranks of the group `call` runs on.
    public static func members(of call: CollectiveCall, in mesh: MeshShape) -> [Int] {
        switch call.axis {
        case .world: Array(0 ..< mesh.worldSize)
        case .shard: (0 ..< mesh.shard).map { call.group * mesh.shard + $0 }
        case .replicate: (0 ..< mesh.replicate).map { $0 * mesh.shard + call.group }
        }
    }
}
