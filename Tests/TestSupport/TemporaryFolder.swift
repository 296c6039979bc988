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
