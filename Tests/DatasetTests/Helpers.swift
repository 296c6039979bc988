import Foundation
import XCTest

func assertThrows<T>(_ expression: @autoclosure () throws -> T, containing parts: [String],
                     file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try expression(), file: file, line: line) { error in
        for part in parts {
            XCTAssertTrue("\(error)".contains(part), "\"\(error)\" does not mention \"\(part)\"", file: file, line: line)
        }
    }
}
