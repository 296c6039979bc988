import Memory
import ModelShape
import RunSpec

/// The planner's candidates as a text table: one row per mesh, the ledger's categories and
/// total, the resident estimate, the bytes sent per step by collective kind, and the two marks.
/// What `meshtop plan` prints; the figures are MiB (2^20 bytes).
public enum PlanTable {
    static let memoryColumns: [(String, MemoryCategory)] = [
        ("params", .parameters), ("gathered", .gatheredParameters), ("grads", .gradients),
        ("optim", .optimizer), ("activ", .activations), ("comm", .communication), ("scratch", .scratch),
    ]
    static let trafficColumns: [(String, CollectiveKind)] = [
        ("all_red", .allReduce), ("all_gat", .allGather), ("red_sct", .reduceScatter),
    ]
    public static let bestMemoryMark = "M"
    public static let leastCommunicationMark = "C"

    public static func lines(_ candidates: [MeshPrediction]) -> [String] {
        let best = Plan.bestForMemory(candidates)?.mesh
        let least = Plan.leastCommunication(candidates)?.mesh
        let acrossHosts = candidates.contains { $0.interHostBytes != nil }
        let header = ["mesh", "strategy"] + memoryColumns.map(\.0) + ["ledger", "resident"]
            + trafficColumns.map(\.0) + ["sent"] + (acrossHosts ? ["x_hosts"] : []) + ["marks"]
        var rows = [header]
        for c in candidates {
            var row = [c.mesh.description, c.mesh.strategy.rawValue]
            row += memoryColumns.map { mib(c.bytes($0.1)) } + [mib(c.ledgerBytes), mib(c.residentBytes)]
            row += trafficColumns.map { mib(c.bytes($0.1)) } + [mib(c.communicationBytes)]
            if acrossHosts { row.append(mib(c.interHostBytes ?? 0)) }
            row.append((c.mesh == best ? bestMemoryMark : "") + (c.mesh == least ? leastCommunicationMark : ""))
            rows.append(row)
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        let table = rows.map { row in
            row.indices.map { column in
                // Names to the left, figures to the right.
                column < 2 || column == row.count - 1
                    ? pad(row[column], widths[column], left: true) : pad(row[column], widths[column], left: false)
            }.joined(separator: "  ").trailingSpacesRemoved
        }
        let note = "MiB per rank: memory by ledger category, the ledger's total and the resident estimate; "
            + "MiB each rank sends per optimizer step by collective. \(bestMemoryMark): least memory, "
            + "\(leastCommunicationMark): least communication."
            + (acrossHosts ? " x_hosts: MiB that cross between hosts per step, all ranks together (ranks by slot)." : "")
        return table + [note]
    }

    /// Bytes as MiB with two decimals (the debugmodel's 6.1 M parameters are 23.42 MiB).
    static func mib(_ bytes: Int) -> String {
        let hundredths = (bytes * 100 + (1 << 19)) >> 20
        let tail = String(hundredths % 100)
        return "\(hundredths / 100).\(tail.count == 1 ? "0" + tail : tail)"
    }

    private static func pad(_ text: String, _ width: Int, left: Bool) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + fill : fill + text
    }
}

private extension String {
    var trailingSpacesRemoved: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
