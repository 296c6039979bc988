import Foundation
import XCTest

/// A fresh, empty folder `<tmp>/meshtop-<label>-<uuid>` for one test, removed (with all that the
/// test wrote in it) when the test ends, whether it passed, failed or threw.
public func makeTemporaryFolder(for test: XCTestCase, _ label: String) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    return folder
}

/// `<tmp>/meshtop-<name>`: the same folder for every test and every run, never removed. For dump
/// folders whose token cache later runs reuse instead of tokenizing the corpus again.
public func sharedCacheFolder(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-\(name)").path
}

/// The dump folder of the runs that need no folder of their own: the trainer keeps the tokenized
/// corpus in its `cache` folder, the one token cache of the whole suite (see `dumpFolder(in:)`).
public let sharedDumpFolder = sharedCacheFolder("dump")

/// `<folder>/out`, a dump folder of a test's own (its path can mark the test's processes), whose
/// `cache`, where the trainer keeps the tokenized corpus, is a link to `sharedDumpFolder`'s: a
/// run tokenizes tinyshakespeare only when no run of the suite has yet. Cache files are named by
/// the hashes of the data and the tokenizer and written whole (a temporary file renamed), so runs
/// of different data, tokenizers or test processes can share it.
public func dumpFolder(in folder: URL) throws -> String {
    let fm = FileManager.default
    let shared = URL(fileURLWithPath: sharedDumpFolder).appendingPathComponent("cache")
    try fm.createDirectory(at: shared, withIntermediateDirectories: true)
    let dump = folder.appendingPathComponent("out")
    try fm.createDirectory(at: dump, withIntermediateDirectories: true)
    let cache = dump.appendingPathComponent("cache")
    if (try? fm.destinationOfSymbolicLink(atPath: cache.path)) != shared.path {
        try fm.createSymbolicLink(at: cache, withDestinationURL: shared)
    }
    return dump.path
}
