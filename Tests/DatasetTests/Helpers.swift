import Foundation
import XCTest

/// A fresh temporary folder, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-data-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
}

func assertThrows<T>(_ expression: @autoclosure () throws -> T, containing parts: [String],
                     file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try expression(), file: file, line: line) { error in
        for part in parts {
            XCTAssertTrue("\(error)".contains(part), "\"\(error)\" does not mention \"\(part)\"", file: file, line: line)
        }
    }
}
