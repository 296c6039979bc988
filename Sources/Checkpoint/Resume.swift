import Collectives
import Foundation
import Model
import RunSpec

/// What a resume loaded.
public struct ResumeOutcome {
    public let url: URL
    public let manifest: CheckpointManifest
    public let seconds: Double
    /// Newer checkpoints skipped as damaged (latest-valid), with why.
    public let skipped: [(name: String, reason: String)]
    /// Leftover temporary folders deleted before looking.
    public let removedTemporary: [String]
}

public enum CheckpointLoader {
    /// Collective over `world`: picks a checkpoint of `store` by `policy`, checks it was written for
    /// `model`, and loads this rank's pieces into `state` (whatever mesh wrote it). Returns nil
    /// when the store holds no checkpoint and the policy allows a fresh start. `log` is called on
    /// rank 0 only, for fall-backs.
    public static func resume(policy: ResumePolicy, store: CheckpointStore, model: ModelConfig, state: LocalState,
                              world: Communicator, log: (String) -> Void = { _ in }) throws -> ResumeOutcome? {
        let start = monotonicSeconds()
        // Rank 0 cleans up interrupted writes and lists what is complete; everyone uses its list.
        let listing = try agree(world) { () -> [UInt8] in
            guard world.rank == 0 else { return [] }
            let removed = store.removeTemporaryFolders()
            return Array(try JSONEncoder().encode(Listing(steps: store.complete().map(\.step), removedTemporary: removed)))
        }
        let shared = world.size > 1 ? try world.broadcastBytes(listing, root: 0) : listing
        let list = try JSONDecoder().decode(Listing.self, from: Data(shared))

        let candidates: [Int]
        switch policy {
        case .latest:
            guard let last = list.steps.last else { return nil }
            candidates = [last]
        case .latestValid:
            guard !list.steps.isEmpty else { return nil }
            candidates = list.steps.reversed()
        case let .step(n):
            guard list.steps.contains(n) else {
                let have = list.steps.isEmpty ? "none" : list.steps.map(String.init).joined(separator: ", ")
                throw CheckpointError(.notFound, "no complete checkpoint \(CheckpointStore.folderName(step: n)) in \(store.directory.path) (complete steps: \(have))")
            }
            candidates = [n]
        }

        var skipped: [(String, String)] = []
        for (i, step) in candidates.enumerated() {
            let url = store.url(step: step)
            do {
                let reader = try agree(world) { try CheckpointReader(url: url) }
                try reader.checkModel(model)
                guard reader.manifest.step == step else {
                    throw CheckpointError(.invalid, "\(reader.name)/manifest.json: says step \(reader.manifest.step)")
                }
                try agree(world) { try reader.load(into: state) }
                return ResumeOutcome(url: url, manifest: reader.manifest, seconds: monotonicSeconds() - start,
                                     skipped: skipped, removedTemporary: list.removedTemporary)
            } catch let error as CheckpointError where error.kind == .invalid {
                guard policy == .latestValid else {
                    let hint = policy == .latest && list.steps.count > 1 ? " (--resume-latest-valid falls back to an older checkpoint)" : ""
                    throw CheckpointError(.invalid, "cannot resume from \(url.lastPathComponent): \(error.description)\(hint)")
                }
                skipped.append((url.lastPathComponent, error.description))
                if i + 1 < candidates.count {
                    if world.rank == 0 {
                        log("Checkpoint \(url.lastPathComponent) is not usable (\(error.description)); falling back to \(CheckpointStore.folderName(step: candidates[i + 1]))")
                    }
                }
            }
        }
        throw CheckpointError(.invalid, "no valid checkpoint in \(store.directory.path): "
            + skipped.map { "\($0.0): \($0.1)" }.joined(separator: "; "))
    }

    struct Listing: Codable {
        let steps: [Int]
        let removedTemporary: [String]
    }
}
