import Checksum
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A checkpoint problem, naming the folder or file and what is wrong.
public struct CheckpointError: Error, CustomStringConvertible, LocalizedError {
    public enum Kind: String, Sendable {
        /// Nothing (or not the requested step) to resume from.
        case notFound
        /// A file missing, truncated, corrupted, or a manifest that does not add up.
        case invalid
        /// A valid checkpoint of a different model than the run's.
        case mismatch
        /// Reading or writing failed.
        case io
    }

    public let kind: Kind
    public let description: String
    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
    public var errorDescription: String? { description }
}

/// A folder of checkpoints: `step-000010/`, `step-000020/`, ... Only folders named `step-N` that
/// hold a `manifest.json` are complete; `*.tmp-*` folders are writes that never finished.
public struct CheckpointStore: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }
    public init(path: String) { self.init(directory: URL(fileURLWithPath: path)) }

    public static func folderName(step: Int) -> String { "step-" + String(format: "%06d", step) }

    /// The step of a checkpoint folder's name (exactly `folderName(step:)`), nil for anything else.
    public static func step(ofFolder name: String) -> Int? {
        let digits = name.dropFirst(5)
        guard name.hasPrefix("step-"), !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }),
              let step = Int(digits), folderName(step: step) == name else { return nil }
        return step
    }

    public func url(step: Int) -> URL { directory.appendingPathComponent(Self.folderName(step: step)) }

    /// Complete checkpoints (a final name and a manifest), oldest first.
    public func complete() -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard let step = Self.step(ofFolder: name) else { return nil }
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent(CheckpointManifest.fileName).path)
            else { return nil }
            return (step, url)
        }.sorted { $0.0 < $1.0 }
    }

    /// Folders a write left behind (interrupted saves, replaced checkpoints): names with `.tmp-`.
    public func temporaryFolders() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("step-") && $0.contains(".tmp-") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }

    /// Deletes the leftovers of interrupted writes; returns their names.
    @discardableResult
    public func removeTemporaryFolders() -> [String] {
        temporaryFolders().compactMap { url in
            (try? FileManager.default.removeItem(at: url)) == nil ? nil : url.lastPathComponent
        }
    }

    /// Keeps the newest `keep` complete checkpoints and deletes the others; returns their names.
    @discardableResult
    public func rotate(keep: Int) throws -> [String] {
        precondition(keep >= 1)
        let all = complete()
        var removed: [String] = []
        for old in all.dropLast(keep) {
            // Rename first so a crash mid-delete leaves a temporary folder, never a partial "complete" one.
            let doomed = directory.appendingPathComponent(old.url.lastPathComponent + ".tmp-delete-\(getpid())")
            try FileManager.default.moveItem(at: old.url, to: doomed)
            try FileManager.default.removeItem(at: doomed)
            removed.append(old.url.lastPathComponent)
        }
        if !removed.isEmpty { fsyncFolder(directory.path) }
        return removed
    }
}

/// Size and SHA-256 (hex) of a file, read in 4 MiB chunks.
public func fileChecksum(_ path: String) throws -> (bytes: Int, sha256: String) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw CheckpointError(.io, "\(path): cannot open: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var hasher = SHA256()
    let chunk = 4 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
    defer { buffer.deallocate() }
    var total = 0
    while true {
        let n = read(fd, buffer.baseAddress!, chunk)
        if n < 0 {
            if errno == EINTR { continue }
            throw CheckpointError(.io, "\(path): read failed: \(String(cString: strerror(errno)))")
        }
        if n == 0 { break }
        hasher.update(UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n))
        total += n
    }
    return (total, hasher.hexDigest())
}

/// Makes renames and creations inside `path` durable.
public func fsyncFolder(_ path: String) {
    let fd = open(path, O_RDONLY)
    if fd >= 0 {
        _ = fsync(fd)
        close(fd)
    }
}

/// Writes `data` to `path` and fsyncs it (the caller renames the folder that holds it).
public func writeDurably(_ data: Data, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if fd < 0 { throw CheckpointError(.io, "\(path): cannot create: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    try data.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
            let n = write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw CheckpointError(.io, "\(path): write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }
    if fsync(fd) != 0 { throw CheckpointError(.io, "\(path): fsync failed: \(String(cString: strerror(errno)))") }
}
