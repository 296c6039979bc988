import Checksum
import Collectives
import Foundation
import Mesh
import Model
import ModelShape
import Parallel
import SafeTensors
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a save did.
public struct SaveResult: Sendable {
    public let url: URL
    public let files: Int
    public let bytes: Int
    public let seconds: Double
    /// Older checkpoints deleted by `keep`.
    public let removed: [String]
}

public enum CheckpointWriter {
    /// The data file written by the rank at shard index `s` of `S` and replicate index `r` of `R`.
    /// Replicas hold the same shard, so each writes a part of it: with R = 1 the whole.
    public static func fileName(shard s: Int, of count: Int, part r: Int = 0, of parts: Int = 1) -> String {
        parts == 1 ? String(format: "shard-%05d-of-%05d.safetensors", s, count)
            : String(format: "shard-%05d-of-%05d-part-%d-of-%d.safetensors", s, count, r, parts)
    }

    /// Part `r` of `parts` of `pieces`: their elements, in order, cut into `parts` nearly equal
    /// runs (pieces split where a run ends), so the replicas of a shard share its write.
    public static func part(_ pieces: [CanonicalPiece], _ r: Int, of parts: Int) -> [CanonicalPiece] {
        let total = pieces.reduce(0) { $0 + $1.full.count }
        let lo = total * r / parts, hi = total * (r + 1) / parts
        var out: [CanonicalPiece] = []
        var offset = 0  // elements of the pieces before this one
        for piece in pieces {
            let from = max(lo, offset), to = min(hi, offset + piece.full.count)
            if from < to {
                let skip = from - offset
                out.append(CanonicalPiece(local: piece.local + skip,
                                          full: piece.full.lowerBound + skip ..< piece.full.lowerBound + skip + (to - from)))
            }
            offset += piece.full.count
        }
        return out
    }

    /// Collective over `world`: writes checkpoint `step` into `store` and returns on every rank
    /// once it is complete.
    ///
    /// 1. Rank 0 creates `step-NNNNNN.tmp-<pid>/`.
    /// 2. Every rank writes its part (`part`: 1/R of its shard's elements) of params, exp_avg and
    ///    exp_avg_sq into `fileName(shard:of:part:of:)` there (each file fsynced), and sends rank 0
    ///    its size, SHA-256 and pieces.
    /// 3. Rank 0 writes and fsyncs `manifest.json`, renames the folder to `step-NNNNNN/`, fsyncs the
    ///    parent, then deletes checkpoints beyond the newest `keep`.
    /// Until the rename nothing looks complete; a failure on any rank fails the save on every rank.
    public static func save(step: Int, run: RunRecord, state: LocalState, store: CheckpointStore,
                            world: Communicator, mesh: MeshShape, keep: Int?) throws -> SaveResult {
        let start = monotonicSeconds()
        let coordinates = mesh.coordinates(ofRank: world.rank)
        let finalURL = store.url(step: step)

        // 1. The temporary folder, named by rank 0's pid.
        let tempName = try agree(world) { () -> String in
            guard world.rank == 0 else { return "" }
            let name = CheckpointStore.folderName(step: step) + ".tmp-\(getpid())"
            let url = store.directory.appendingPathComponent(name)
            do {
                try FileManager.default.createDirectory(at: store.directory, withIntermediateDirectories: true)
                if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            } catch {
                throw CheckpointError(.io, "cannot create \(url.path): \(error.localizedDescription)")
            }
            return name
        }
        let name = world.size > 1
            ? String(decoding: try world.broadcastBytes(Array(tempName.utf8), root: 0), as: UTF8.self) : tempName
        let tempURL = store.directory.appendingPathComponent(name)

        // 2. The data files.
        let written = try agree(world) { () -> [UInt8] in
            let mine = part(state.pieces.filter { !$0.full.isEmpty }, coordinates.replicate, of: mesh.replicate)
            guard !mine.isEmpty else { return [] }
            let file = fileName(shard: coordinates.shard, of: mesh.shard, part: coordinates.replicate, of: mesh.replicate)
            var writer = SafeTensorsWriter()
            writer.setMetadata("format", CheckpointManifest.formatName)
            writer.setMetadata("step", String(step))
            var pieces: [CheckpointManifest.PieceRecord] = []
            for vector in CheckpointVector.allCases {
                let buffer = state.buffer(vector)
                for piece in mine {
                    let tensor = "\(vector.rawValue).\(piece.full.lowerBound)-\(piece.full.upperBound)"
                    let local = UnsafeBufferPointer(rebasing: buffer[piece.local ..< piece.local + piece.full.count])
                    try writer.add(tensor, shape: [piece.full.count], borrowing: local)
                    pieces.append(.init(vector: vector, tensor: tensor, file: file,
                                        start: piece.full.lowerBound, end: piece.full.upperBound))
                }
            }
            let path = tempURL.appendingPathComponent(file).path
            // The checksum of the bytes as they go out: no second read of the file.
            var hasher = SHA256()
            var bytes = 0
            try writer.write(to: path) { chunk in
                hasher.update(chunk.assumingMemoryBound(to: UInt8.self))
                bytes += chunk.count
            }
            let record = Written(file: .init(name: file, bytes: bytes, sha256: hasher.hexDigest()), pieces: pieces)
            return Array(try JSONEncoder().encode(record))
        }
        let gathered = world.size > 1 ? try world.gatherBytes(written, root: 0) : [written]

        // 3. The manifest, the rename, the rotation.
        let (bytes, files, removed) = try agree(world) { () -> (Int, Int, [String]) in
            guard world.rank == 0, let gathered else { return (0, 0, []) }
            let records = try gathered.filter { !$0.isEmpty }.map { try JSONDecoder().decode(Written.self, from: Data($0)) }
                .sorted { $0.file.name < $1.file.name }
            let manifest = CheckpointManifest(
                step: step, mesh: .init(dpReplicate: mesh.replicate, dpShard: mesh.shard), worldSize: world.size,
                run: run, parameterCount: run.model.parameterCount, files: records.map(\.file),
                pieces: records.flatMap(\.pieces).sorted { ($0.vector.rawValue, $0.start) < ($1.vector.rawValue, $1.start) })
            try writeDurably(try manifest.encoded(), to: tempURL.appendingPathComponent(CheckpointManifest.fileName).path)
            fsyncFolder(tempURL.path)
            // A checkpoint of the same step from an earlier run is replaced: moved aside (a
            // temporary name, so never mistaken for complete), then deleted once the new one is in.
            var replaced: URL?
            if FileManager.default.fileExists(atPath: finalURL.path) {
                let aside = store.directory.appendingPathComponent(finalURL.lastPathComponent + ".tmp-replaced-\(getpid())")
                try? FileManager.default.removeItem(at: aside)
                try FileManager.default.moveItem(at: finalURL, to: aside)
                replaced = aside
            }
            if rename(tempURL.path, finalURL.path) != 0 {
                throw CheckpointError(.io, "cannot rename \(tempURL.path) to \(finalURL.path): \(String(cString: strerror(errno)))")
            }
            fsyncFolder(store.directory.path)
            if let replaced { try? FileManager.default.removeItem(at: replaced) }
            // The new checkpoint is complete: failing to delete an old one must not fail the save.
            let removed = keep.flatMap { try? store.rotate(keep: $0) } ?? []
            return (records.reduce(0) { $0 + $1.file.bytes }, records.count, removed)
        }
        return SaveResult(url: finalURL, files: files, bytes: bytes, seconds: monotonicSeconds() - start, removed: removed)
    }

    /// What one writing rank tells rank 0.
    struct Written: Codable {
        let file: CheckpointManifest.FileRecord
        let pieces: [CheckpointManifest.PieceRecord]
    }
}
