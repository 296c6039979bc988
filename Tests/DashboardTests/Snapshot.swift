import Foundation
import XCTest
import Dashboard
import Terminal

/// Compares a rendered frame's text with Snapshots/NAME.txt exactly. With
/// MESHTOP_RECORD_SNAPSHOTS=1 in the environment it writes the file instead (review it by eye).
func assertSnapshot(_ buffer: Buffer, named name: String, file: StaticString = #filePath, line: UInt = #line) {
    let url = URL(fileURLWithPath: "\(file)").deletingLastPathComponent()
        .appendingPathComponent("Snapshots").appendingPathComponent("\(name).txt")
    let text = buffer.text + "\n"
    if ProcessInfo.processInfo.environment["MESHTOP_RECORD_SNAPSHOTS"] == "1" {
        XCTAssertNoThrow(try text.write(to: url, atomically: true, encoding: .utf8), file: file, line: line)
        return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        XCTFail("no snapshot \(url.path); record it with MESHTOP_RECORD_SNAPSHOTS=1", file: file, line: line)
        return
    }
    if text != expected {
        let got = text.split(separator: "\n", omittingEmptySubsequences: false)
        let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let first = (0 ..< min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
        XCTFail("snapshot \(name) differs from line \(first + 1):\n got: \(first < got.count ? got[first] : "<end>")\nwant: \(first < want.count ? want[first] : "<end>")\n--- got ---\n\(text)",
                file: file, line: line)
    }
}

func render(_ state: DashboardState, _ view: ViewState = ViewState(), width: Int, height: Int,
            glyphs: Glyphs = .unicode, theme: Theme = .defaultDark, live: Bool = true) -> Buffer {
    var buffer = Buffer(width: width, height: height)
    DashboardView.render(state, view, theme: theme, glyphs: glyphs, live: live, into: &buffer)
    return buffer
}
