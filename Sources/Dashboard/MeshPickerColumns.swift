import RunSpec
/// The picker table's figure columns. Each reads a predicted row (a `MeshCandidate`) and a
/// measured row (a `MeshMeasurement`) the same way, so the two lines of a used mesh compare
/// column by column. Columns that do not fit are dropped, lowest `keep` first.
struct MeshPickerColumn {
    enum Figure {
        case memory([MemoryCategory])
        case resident
        case sent([CollectiveKind])
        case stepTime
        case tokensPerSecond
    }

    let label: String
    let figure: Figure
    /// Higher stays longer when the width runs short.
    let keep: Int

    static let all: [MeshPickerColumn] = [
        MeshPickerColumn(label: "par", figure: .memory([.parameters]), keep: 9),
        MeshPickerColumn(label: "grd", figure: .memory([.gradients]), keep: 9),
        MeshPickerColumn(label: "opt", figure: .memory([.optimizer]), keep: 9),
        MeshPickerColumn(label: "gat", figure: .memory([.gatheredParameters]), keep: 9),
        MeshPickerColumn(label: "act", figure: .memory([.activations]), keep: 9),
        MeshPickerColumn(label: "buf", figure: .memory([.communication, .scratch]), keep: 2),
        MeshPickerColumn(label: "rss", figure: .resident, keep: 9),
        MeshPickerColumn(label: "a-red", figure: .sent([.allReduce]), keep: 8),
        MeshPickerColumn(label: "a-gat", figure: .sent([.allGather]), keep: 8),
        MeshPickerColumn(label: "r-sct", figure: .sent([.reduceScatter]), keep: 8),
        MeshPickerColumn(label: "sent", figure: .sent(CollectiveKind.allCases), keep: 3),
        MeshPickerColumn(label: "step", figure: .stepTime, keep: 5),
        MeshPickerColumn(label: "tok/s", figure: .tokensPerSecond, keep: 4),
    ]

    /// The columns that fit in `width` after the fixed part, and the width of each: 7 when
    /// every column fits so, else 6 and the least kept dropped until the rest fit.
    static func fitting(_ width: Int) -> (columns: [MeshPickerColumn], width: Int) {
        if all.count * 7 <= width { return (all, 7) }
        var kept = all
        while kept.count * 6 > width, let least = kept.indices.min(by: { kept[$0].keep < kept[$1].keep }) {
            kept.remove(at: least)
        }
        return (kept, 6)
    }

    func predicted(_ c: MeshCandidate) -> String {
        switch figure {
        case .memory(let keys): return Format.bytes(keys.reduce(0) { $0 + (c.memory[$1.rawValue] ?? 0) })
        case .resident: return Format.bytes(c.residentBytes)
        case .sent(let keys): return Format.bytes(keys.reduce(0) { $0 + (c.bytesSent[$1.rawValue] ?? 0) })
        // Predicted with a topology only (`meshtop run --topology`); blank otherwise.
        case .stepTime: return c.stepSeconds.map(Format.seconds) ?? ""
        case .tokensPerSecond: return c.tokensPerSecond.map(Format.count) ?? ""
        }
    }

    func measured(_ m: MeshMeasurement) -> String {
        switch figure {
        case .memory(let keys): return Format.bytes(keys.reduce(0) { $0 + (m.memory[$1.rawValue] ?? 0) })
        case .resident: return Format.bytes(m.residentBytes)
        case .sent(let keys): return Format.bytes(keys.reduce(0) { $0 + (m.bytesSent[$1.rawValue] ?? 0) })
        case .stepTime: return Format.seconds(m.stepSeconds)
        case .tokensPerSecond: return Format.count(m.tokensPerSecond)
        }
    }
}
