extension HangReport.Rank {
    /// One rank of the report as a line: "rank 2 (mt10-1): backward in step 41, waiting in
    /// all-gather #1284 on shard group 1 for 14 s".
    public var line: String {
        var text = "rank \(rank) (\(host)): "
        // A silent rank's beat is stale: say so before what it said.
        if silent { text += heardAgo.isFinite ? "silent for \(HangReport.seconds(heardAgo)), last beat: " : "never heard" }
        text += phase?.description ?? (silent ? "" : "no heartbeat")
        if step > 0 { text += " in step \(step)" }
        if let call = waitingIn {
            text += ", waiting in \(call.operation) #\(call.sequence) on \(HangReport.group(call))"
        } else if let call = lastCompleted {
            text += ", last finished \(call.operation) #\(call.sequence) on \(HangReport.group(call))"
        }
        return text
    }
}
