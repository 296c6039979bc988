import Foundation
import Telemetry

/// The legend's names of runs: the mesh and strategy (`[2, 2] hsdp`, from the hello; a run that
/// switched meshes `[2, 2] hsdp -> [4, 1] replicate`), else the file name. Two runs that would
/// share a label get their file names after it (`[2, 2] hsdp (seed1.jsonl)`), and if those are
/// the same too, their place in the list (`#2`).
public enum RunLabels {
    /// The label of one run, before telling it from others.
    public static func base(name: String, meshes: [MeshLayout]) -> String {
        meshes.isEmpty ? name : meshes.map(text).joined(separator: " -> ")
    }

    /// `[2, 2] hsdp`.
    public static func text(_ mesh: MeshLayout) -> String { "[\(mesh.replicate), \(mesh.shard)] \(mesh.strategy)" }

    /// The curves with labels that tell them apart.
    public static func disambiguated(_ curves: [RunCurve]) -> [RunCurve] {
        var out = curves
        for i in out.indices { out[i].label = base(name: out[i].name, meshes: out[i].meshes) }
        let shared = duplicates(out.map(\.label))
        for i in out.indices where shared.contains(out[i].label) && !out[i].meshes.isEmpty {
            out[i].label += " (\(out[i].name))"
        }
        let stillShared = duplicates(out.map(\.label))
        for i in out.indices where stillShared.contains(out[i].label) { out[i].label += " #\(i + 1)" }
        return out
    }

    private static func duplicates(_ labels: [String]) -> Set<String> {
        var seen: Set<String> = [], twice: Set<String> = []
        for label in labels where !seen.insert(label).inserted { twice.insert(label) }
        return twice
    }

    /// The file name of a path (a folder's own name), what a run without a hello is called.
    public static func name(ofPath path: String) -> String {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        let last = URL(fileURLWithPath: trimmed).lastPathComponent
        return last.isEmpty ? path : last
    }
}
