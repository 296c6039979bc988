import Foundation
import SafeTensors
import TestSupport
import XCTest

/// A fresh folder for each test, removed when the test ends.
class TemporaryFolderTestCase: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder(for: self, "safetensors")
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A file with an 8-byte length (`length`, or the header's size), the header, then `data`.
    func craft(_ name: String, header: String, data: [UInt8] = [], length: UInt64? = nil) throws -> String {
        let h = Array(header.utf8)
        var bytes: [UInt8] = []
        let n = length ?? UInt64(h.count)
        for k in 0..<8 { bytes.append(UInt8((n >> (8 * UInt64(k))) & 0xFF)) }
        bytes += h + data
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// Opening `path` must fail with `kind`, and the message must contain each of `fragments`.
    func assertOpenFails(_ path: String, _ kind: SafeTensorsError.Kind, _ fragments: [String],
                         file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try SafeTensorsFile(path: path)
            XCTFail("opening \(path) succeeded; expected \(kind)", file: file, line: line)
        } catch let e as SafeTensorsError {
            XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
            XCTAssertEqual(e.path, path, file: file, line: line)
            XCTAssertTrue(e.description.hasPrefix(path + ": "), e.description, file: file, line: line)
            for f in fragments {
                XCTAssertTrue(e.message.contains(f), "\"\(e.message)\" does not mention \"\(f)\"", file: file, line: line)
            }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }
}

func floatBytes(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }
