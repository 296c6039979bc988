import Foundation
import TestSupport

/// What every end-to-end test starts from: a fresh folder for its files, and the environment
/// mpirun needs to start ranks as whoever runs the tests.
enum EndToEndRun {
    static let rankEnvironment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]

    /// A new empty folder under the temporary directory (the caller removes it).
    static func folder(_ prefix: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
