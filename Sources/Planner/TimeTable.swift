import RunSpec

/// The predicted step times as a text table (`meshtop plan --topology`): one row per mesh and
/// placement, the MiB each collective sends across hosts and what all send within hosts per
/// step, the communication's own time and how much of it compute hides, the compute, the step
/// and tokens/s, and the rank of each row by step time (1: fastest).
public enum TimeTable {
    static let crossingColumns: [(String, CollectiveKind)] = [("x_red", .allReduce), ("x_gat", .allGather), ("x_sct", .reduceScatter)]

    public static func lines(_ candidates: [MeshPrediction]) -> [String] {
        let placed = candidates.contains { $0.placement != nil }
        let ranks = Dictionary(uniqueKeysWithValues: Plan.rankedByTime(candidates).enumerated().map { (key(of: $0.element), $0.offset + 1) })
        let header = ["mesh", "strategy"] + (placed ? ["place"] : []) + crossingColumns.map(\.0)
            + ["in_host", "comm_s", "hidden_s", "compute_s", "step_s", "tok/s", "rank"]
        let names = placed ? 3 : 2
        var rows = [header]
        var unavailable: [String] = []
        for c in candidates {
            var row = [c.mesh.description, c.mesh.strategy.rawValue] + (placed ? [c.placement?.rawValue ?? "-"] : [])
            if let t = c.time {
                row += crossingColumns.map { PlanTable.mib(t.interHostBytes[$0.1] ?? 0) }
                row.append(PlanTable.mib(t.intraHostBytes.values.reduce(0, +)))
                row += [seconds(t.communicationSeconds), seconds(t.hiddenSeconds), seconds(t.computeSeconds),
                        seconds(t.stepSeconds), String(Int(t.tokensPerSecond.rounded())), ranks[key(of: c)].map(String.init) ?? "-"]
            } else {
                row += Array(repeating: "-", count: header.count - names)
                if let why = c.timeUnavailable, !unavailable.contains(why) { unavailable.append(why) }
            }
            rows.append(row)
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        let table = rows.map { row in
            row.indices.map { column in
                let fill = String(repeating: " ", count: widths[column] - row[column].count)
                return column < names ? row[column] + fill : fill + row[column]
            }.joined(separator: "  ").trimmingTrailingSpaces
        }
        var note = "Per step: MiB sent across hosts by collective (x_red all-reduce, x_gat all-gather, x_sct reduce-scatter) "
            + "and within hosts (in_host), all ranks together; seconds of communication (comm_s), of it hidden behind compute "
            + "(hidden_s), of compute, of the step; tokens/s of all ranks; rank 1 is the fastest."
        if placed { note += " place: slot fills each host's slots in turn (mpirun's default), node puts one rank per host in turn (--map-by node)." }
        return table + [note] + unavailable.map { "Not predicted: \($0)." }
    }

    static func key(of c: MeshPrediction) -> String { c.mesh.description + "/" + (c.placement?.rawValue ?? "") }

    /// Seconds with three decimals below 10 s, one above.
    static func seconds(_ s: Double) -> String { fixed(s, decimals: s < 10 ? 3 : 1) }

    /// `value` rounded to `decimals` places, written out (Planner stays without Foundation).
    public static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1
        for _ in 0 ..< decimals { scale *= 10 }
        let scaled = Int((abs(value) * Double(scale)).rounded())
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard decimals > 0 else { return sign + String(scaled) }
        let fraction = String(scaled % scale)
        return sign + String(scaled / scale) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}

private extension String {
    var trimmingTrailingSpaces: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
