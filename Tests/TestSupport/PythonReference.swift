import Foundation
import XCTest

/// `$MESHTOP_PYTHON` with the packages a cross-check needs, or the test skipped saying what is
/// missing (scripts/test.sh sets it up; scripts/install-deps.sh installs the packages).
public enum PythonReference {
    public static func interpreter(importing modules: [String]) throws -> String {
        guard let python = ProcessInfo.processInfo.environment["MESHTOP_PYTHON"], !python.isEmpty else {
            throw XCTSkip("MESHTOP_PYTHON is not set: this cross-check needs a python with \(modules.joined(separator: ", "))")
        }
        let probe = try ProcessRunner.run([python, "-c", modules.map { "import \($0)" }.joined(separator: "; ")], timeout: 120)
        guard probe.status == 0 else {
            throw XCTSkip("\(python) cannot import \(modules.joined(separator: ", ")): \(probe.stderr.suffix(300))")
        }
        return python
    }

    /// Runs `script` with `arguments`; its stdout, or a thrown error with its stderr.
    public static func run(_ python: String, _ script: String, _ arguments: [String] = [], timeout: TimeInterval = 300) throws -> String {
        let result = try ProcessRunner.run([python, "-c", script] + arguments, timeout: timeout)
        guard result.status == 0 else { throw TestSupportError("the Python reference failed: \(result.stderr.suffix(2000))") }
        return result.stdout
    }
}
