import Foundation
import RunSpec
import Telemetry

/// Who is slow and why, from the last few steps' per-rank figures: a rank's step time cannot say
/// it (the collectives even the ranks out), its compute time (every wait excluded) and its peers'
/// waits can. Also the mesh's row and column aggregates (shard and replicate groups).
public struct StragglerReport: Equatable, Sendable {
    /// Mean compute and wait of a group of ranks, seconds per step.
    public struct Aggregate: Equatable, Sendable {
        public var axis: MeshAxis
        public var group: Int
        public var compute: Double
        public var wait: Double
    }

    public struct Straggler: Equatable, Sendable {
        public enum Cause: String, Equatable, Sendable { case compute, data }
        public var rank: Int
        public var cause: Cause
        /// Its figure (compute or data) over the median of the other ranks'.
        public var ratio: Double
        /// The group that waits most for it: axis, group, the collective, seconds per step (mean
        /// over the group's other ranks).
        public var waitingAxis: MeshAxis?
        public var waitingGroup = 0
        public var waitingIn: CollectiveOperation?
        public var waitSeconds = 0.0
    }

    /// A rank whose compute (or data) time is at least this many times the others' median.
    public static let threshold = 1.25
    /// Steps read: the median of three is not fooled by one slow step.
    public static let window = 3

    public var straggler: Straggler?
    /// One per shard group (row), then one per replicate group (column).
    public var rows: [Aggregate]
    public var columns: [Aggregate]

    /// "rank 3: compute 2.0x the median; shard group 1 waits 0.61 s a step in all-gather for it"
    public var line: String? {
        guard let s = straggler else { return nil }
        var text = "rank \(s.rank): \(s.cause.rawValue) \(String(format: "%.1f", s.ratio))x the median"
        if let axis = s.waitingAxis, let op = s.waitingIn {
            text += "; \(axis) \(s.waitingGroup) waits \(Self.seconds(s.waitSeconds)) a step in \(op) for it"
        }
        return text
    }

    /// The same for a panel: "straggler r3: compute 2.0x; shard group 1 waits 90 ms/step in all-gather"
    public var shortLine: String? {
        guard let s = straggler else { return nil }
        var text = "straggler r\(s.rank): \(s.cause.rawValue) \(String(format: "%.1f", s.ratio))x"
        if let axis = s.waitingAxis, let op = s.waitingIn {
            text += "; \(axis) \(s.waitingGroup) waits \(Self.seconds(s.waitSeconds))/step in \(op)"
        }
        return text
    }

    static func seconds(_ s: Double) -> String { s >= 1 ? String(format: "%.1f s", s) : String(format: "%.0f ms", s * 1000) }
}

extension StragglerReport {
    /// From the latest steps of one mesh (oldest first; each with every rank's figures).
    public init(mesh: MeshShape, steps: [Step]) {
        let n = mesh.worldSize
        let window = steps.filter { $0.ranks.count == n }
        func perRank(_ value: (RankStep) -> Double) -> [Double] {
            (0 ..< n).map { r in Self.median(window.compactMap { step in step.ranks.first { $0.rank == r }.map(value) }) }
        }
        let compute = perRank { $0.seconds.compute }
        let data = perRank { $0.seconds.data }
        let wait = perRank { $0.seconds.communication }
        rows = (0 ..< mesh.replicate).map { r in
            let members = (0 ..< mesh.shard).map { r * mesh.shard + $0 }
            return Aggregate(axis: .shard, group: r, compute: Self.mean(members.map { compute[$0] }), wait: Self.mean(members.map { wait[$0] }))
        }
        columns = (0 ..< mesh.shard).map { s in
            let members = (0 ..< mesh.replicate).map { $0 * mesh.shard + s }
            return Aggregate(axis: .replicate, group: s, compute: Self.mean(members.map { compute[$0] }), wait: Self.mean(members.map { wait[$0] }))
        }
        straggler = nil
        // One step (the first after a start, with its warm-up) says nothing yet.
        guard n > 1, window.count >= 2 else { return }
        for (cause, figure) in [(Straggler.Cause.compute, compute), (.data, data)] {
            guard let slowest = figure.indices.max(by: { figure[$0] < figure[$1] }) else { continue }
            let others = Self.median(figure.indices.filter { $0 != slowest }.map { figure[$0] })
            // Milliseconds of noise on a quick step are no straggler: a tenth of the step at least.
            let step = Self.median(window.map { $0.ranks.map(\.seconds.total).max() ?? 0 })
            guard others > 0, figure[slowest] >= Self.threshold * others, figure[slowest] - others >= 0.1 * step else { continue }
            var found = Straggler(rank: slowest, cause: cause, ratio: figure[slowest] / others)
            attributeWait(&found, mesh: mesh, window: window)
            straggler = found
            return
        }
    }

    /// The group of the straggler whose other ranks wait most, and in which collective.
    private func attributeWait(_ s: inout Straggler, mesh: MeshShape, window: [Step]) {
        let coordinates = mesh.coordinates(ofRank: s.rank)
        for axis in [MeshAxis.shard, .replicate] {
            let group = axis.group(of: coordinates)
            let call = CollectiveCall(operation: .barrier, axis: axis, group: group, sequence: 0, bytes: 0, startedAt: 0)
            let peers = HangReport.members(of: call, in: mesh).filter { $0 != s.rank }
            guard !peers.isEmpty else { continue }
            for operation in CollectiveOperation.allCases {
                let seconds = Self.mean(peers.map { peer in
                    Self.median(window.compactMap { step in
                        step.ranks.first { $0.rank == peer }.map { $0.waits?[axis.name]?[operation.name] ?? 0 }
                    })
                })
                if seconds > s.waitSeconds {
                    s.waitSeconds = seconds
                    s.waitingAxis = axis
                    s.waitingGroup = group
                    s.waitingIn = operation
                }
            }
        }
    }

    /// The lower median: of two steps, one slow one does not make a straggler.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        return values.sorted()[(values.count - 1) / 2]
    }

    static func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
}

/// The straggler over a run, for a log: says a line when the rank named (or its cause) changes,
/// not every step.
public struct StragglerWatch: Sendable {
    private var mesh: MeshShape?
    private var steps: [Step] = []
    private var named: (rank: Int, cause: StragglerReport.Straggler.Cause)?

    public init() {}

    /// A new mesh (a hello): what came before is another run's.
    public mutating func hello(_ mesh: MeshShape) {
        self.mesh = mesh
        steps = []
        named = nil
    }

    /// The line to say after this step, if what is named changed.
    public mutating func step(_ step: Step) -> String? {
        guard let mesh else { return nil }
        steps = Array((steps + [step]).suffix(StragglerReport.window))
        let report = StragglerReport(mesh: mesh, steps: steps)
        let now = report.straggler.map { ($0.rank, $0.cause) }
        guard now?.0 != named?.rank || now?.1 != named?.cause else { return nil }
        defer { named = now }
        if let line = report.line { return "straggler at step \(step.step): \(line)" }
        return named.map { "no straggler from step \(step.step) (rank \($0.rank) keeps up again)" }
    }
}
