import Foundation
import RunSpec

extension HangReport {
    /// The flight-recorder dump written next to the run (docs/diagnosis.md has the fields).
    public func json(time: Double, mesh: MeshShape, step: Int?) -> [String: Any] {
        func call(_ c: CollectiveCall, _ extra: [String: Any] = [:]) -> [String: Any] {
            ["operation": c.operation.description, "axis": "\(c.axis)".replacingOccurrences(of: " group", with: ""),
             "group": c.group, "sequence": c.sequence, "bytes": c.bytes, "startedAt": c.startedAt].merging(extra) { $1 }
        }
        var object: [String: Any] = [
            "time": time, "headline": headline, "stalledFor": stalledFor,
            "mesh": ["replicate": mesh.replicate, "shard": mesh.shard],
            "ranks": ranks.map { r -> [String: Any] in
                var o: [String: Any] = ["rank": r.rank, "host": r.host, "step": r.step, "completedSteps": r.completedSteps,
                                        "silent": r.silent]
                if r.heardAgo.isFinite { o["heardAgo"] = r.heardAgo }
                if let phase = r.phase { o["phase"] = phase.description }
                if let c = r.waitingIn { o["waitingIn"] = call(c) }
                if let c = r.lastCompleted { o["lastCompleted"] = call(c) }
                return o
            },
            "blockers": blockers.map { b -> [String: Any] in
                ["call": call(b.call), "waiting": b.waiting, "waitingFor": b.waitingFor, "notEntered": b.notEntered,
                 "silentInside": b.silentInside]
            },
        ]
        if let step { object["lastStep"] = step }
        return object
    }

    /// Writes the dump atomically into `folder` as hang-<step>-<unix seconds>.json; its path.
    public func write(to folder: String, time: Double, mesh: MeshShape, step: Int?) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let name = "hang-step\(step ?? 0)-\(Int(time)).json"
        let path = (folder as NSString).appendingPathComponent(name)
        let data = try JSONSerialization.data(withJSONObject: json(time: time, mesh: mesh, step: step),
                                              options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }
}
