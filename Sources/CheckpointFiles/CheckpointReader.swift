import Foundation
import ModelShape
import RunSpec
import SafeTensors

/// One checkpoint folder, opened: its manifest read and checked for consistency. Data files are
/// verified (size and SHA-256 against the manifest) the first time a read touches them, and only
/// the slices asked for are read (pread), so a rank reads just what its shards need.
public final class CheckpointReader {
    public let url: URL
    public let manifest: CheckpointManifest
    private var files: [String: SafeTensorsFile] = [:]

    public var name: String { url.lastPathComponent }

    public init(url: URL) throws {
        self.url = url
        let path = url.appendingPathComponent(CheckpointManifest.fileName).path
        let folder = url.lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError(.invalid, "\(folder)/\(CheckpointManifest.fileName): missing or unreadable")
        }
        let manifest: CheckpointManifest
        do {
            manifest = try JSONDecoder().decode(CheckpointManifest.self, from: data)
        } catch {
            throw CheckpointError(.invalid, "\(folder)/\(CheckpointManifest.fileName): not a valid manifest (\(ErrorText.line(error)))")
        }
        self.manifest = manifest
        try Self.check(manifest, folder: folder)
    }

    public convenience init(path: String) throws { try self.init(url: URL(fileURLWithPath: path)) }

    /// The manifest must describe every element of every vector exactly once, from listed files.
    static func check(_ m: CheckpointManifest, folder: String) throws {
        func fail(_ why: String) -> CheckpointError {
            CheckpointError(.invalid, "\(folder)/\(CheckpointManifest.fileName): \(why)")
        }
        guard m.format == CheckpointManifest.formatName else { throw fail("format is \"\(m.format)\", not \"\(CheckpointManifest.formatName)\"") }
        guard m.formatVersion == CheckpointManifest.currentVersion else {
            throw fail("format version \(m.formatVersion); this meshtop reads version \(CheckpointManifest.currentVersion)")
        }
        guard m.parameterCount == m.run.model.parameterCount else {
            throw fail("parameterCount \(m.parameterCount) does not match its model (\(m.run.model.parameterCount))")
        }
        let names = Set(m.files.map(\.name))
        for f in m.files where f.name.contains("/") || f.name.hasPrefix(".") { throw fail("bad file name \"\(f.name)\"") }
        for vector in CheckpointVector.allCases {
            var end = 0
            for p in m.pieces.filter({ $0.vector == vector }).sorted(by: { $0.start < $1.start }) {
                guard names.contains(p.file) else { throw fail("piece \(p.tensor) is in \(p.file), which is not listed in files") }
                guard p.start == end, p.end > p.start else {
                    throw fail("\(vector.rawValue): piece \(p.tensor) covers \(p.start)..<\(p.end), expected one starting at \(end)")
                }
                end = p.end
            }
            guard end == m.parameterCount else {
                throw fail("\(vector.rawValue): pieces cover 0..<\(end) of \(m.parameterCount) elements")
            }
        }
    }

    /// Refuses a checkpoint of another model, naming the first field that differs.
    public func checkModel(_ model: ModelConfig) throws {
        var here = manifest.run
        here.model = model
        if let d = here.differences(from: manifest.run).first(where: { $0.field.hasPrefix("model.") }) {
            throw CheckpointError(.mismatch,
                                  "\(name) was written for another model: \(d.field) is \(d.there) in the checkpoint, \(d.here) in this run")
        }
    }

    /// Reads `vector`'s elements for `pieces` into `buffer` (each piece at its local offset). Local
    /// elements outside the pieces are left alone (the caller zero-fills padding).
    public func read(_ vector: CheckpointVector, pieces: [CanonicalPiece], into buffer: UnsafeMutableBufferPointer<Float>) throws {
        let stored = manifest.pieces.filter { $0.vector == vector }.sorted { $0.start < $1.start }
        for piece in pieces where !piece.full.isEmpty {
            guard piece.local >= 0, piece.local + piece.full.count <= buffer.count,
                  piece.full.upperBound <= manifest.parameterCount else {
                throw CheckpointError(.mismatch, "\(name): asked for \(piece.full) at \(piece.local) of a \(buffer.count)-element buffer; the checkpoint has \(manifest.parameterCount) elements")
            }
            for s in stored where s.start < piece.full.upperBound && s.end > piece.full.lowerBound {
                let lo = max(s.start, piece.full.lowerBound), hi = min(s.end, piece.full.upperBound)
                let file = try open(s.file)
                let path = "\(name)/\(s.file)"
                guard let info = file[s.tensor] else {
                    throw CheckpointError(.invalid, "\(path): has no tensor \(s.tensor)")
                }
                guard info.dtype == .f32, info.elementCount == s.end - s.start else {
                    throw CheckpointError(.invalid, "\(path): \(s.tensor) is \(info.dtype.rawValue) \(info.shape), the manifest says F32 [\(s.end - s.start)]")
                }
                let destination = piece.local + (lo - piece.full.lowerBound)
                do {
                    try file.read(s.tensor, elements: (lo - s.start) ..< (hi - s.start),
                                  into: UnsafeMutableBufferPointer(rebasing: buffer[destination ..< destination + (hi - lo)]))
                } catch {
                    throw CheckpointError(.invalid, "\(path): \(error)")
                }
            }
        }
    }

    /// Reads every vector for `state.pieces`; zero-fills the rest (FSDP padding) first.
    public func load(into state: LocalState) throws {
        for vector in CheckpointVector.allCases {
            let buffer = state.buffer(vector)
            buffer.update(repeating: 0)
            try read(vector, pieces: state.pieces, into: buffer)
        }
    }

    /// Verifies every data file (size and checksum) whether or not a read needs it.
    public func verifyAll() throws {
        for f in manifest.files { _ = try open(f.name) }
    }

    /// A data file, verified against the manifest on first use.
    private func open(_ file: String) throws -> SafeTensorsFile {
        if let open = files[file] { return open }
        let path = url.appendingPathComponent(file).path
        let label = "\(name)/\(file)"
        guard let record = manifest.files.first(where: { $0.name == file }) else {
            throw CheckpointError(.invalid, "\(label): not listed in the manifest")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError(.invalid, "\(label): missing (the manifest lists it with \(record.bytes) bytes)")
        }
        let (bytes, sha) = try fileChecksum(path)
        if bytes != record.bytes {
            throw CheckpointError(.invalid, "\(label): \(bytes < record.bytes ? "truncated" : "too long"): \(bytes) bytes, the manifest says \(record.bytes)")
        }
        if sha != record.sha256 {
            throw CheckpointError(.invalid, "\(label): corrupted: SHA-256 \(sha) does not match the manifest's \(record.sha256)")
        }
        let opened: SafeTensorsFile
        do {
            opened = try SafeTensorsFile(path: path)
        } catch {
            throw CheckpointError(.invalid, "\(label): \(error)")
        }
        files[file] = opened
        return opened
    }
}
