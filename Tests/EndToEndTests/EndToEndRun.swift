import Foundation

/// What every end-to-end test's shell needs: the environment mpirun needs to start ranks as
/// whoever runs the tests. (Each test's folder: TestSupport's makeTemporaryFolder.)
enum EndToEndRun {
    static let rankEnvironment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]

    /// The first line the test's shell writes to `path` (`echo $? > path`, `stty -g > path`), once
    /// written whole: the shell creates the file empty before the command writes it, so its mere
    /// existence is not enough. Throws after `timeout` seconds without one.
    static func line(writtenTo path: String, timeout: Double) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), let end = text.firstIndex(of: "\n") {
                return String(text[..<end])
            }
            guard Date() < deadline else {
                throw EndToEndError(description: "no line written to \(path) within \(timeout) s")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}

struct EndToEndError: Error, CustomStringConvertible {
    let description: String
}
