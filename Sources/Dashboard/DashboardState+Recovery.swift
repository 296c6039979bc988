import Telemetry

// The front end's recovery events (`--on-failure restart|shrink`): the failures the loss chart
// marks, the header's line and the lost ranks the mesh panel names.
extension DashboardState {
    mutating func applyRecovery(_ notice: RecoveryNotice) {
        if let i = recoveries.firstIndex(where: { $0.failure == notice.failure }) { recoveries[i] = notice } else {
            recoveries.append(notice)
        }
        if notice.phase == .relaunching { phase = .relaunching }
    }

    /// The latest failure's line for the header: what was lost and how the job went on.
    public var recoveryLine: String? { recoveries.last?.message }

    /// What the latest failure lost, for the mesh panel: "lost rank 3 at step 41 on [2, 2]".
    public var lostLine: String? {
        guard let last = recoveries.last, !last.lostRanks.isEmpty else { return nil }
        let ranks = "rank\(last.lostRanks.count == 1 ? "" : "s") " + last.lostRanks.map(String.init).joined(separator: ", ")
        let what = last.lostHost.map { "host \($0) (\(ranks))" } ?? ranks
        let at = last.failedAfterStep.map { " at step \($0)" } ?? ""
        return "lost \(what)\(at) on [\(last.from.map(String.init).joined(separator: ", "))]"
    }
}
