import Foundation
import Telemetry
import XCTest

/// docs/telemetry.md shows an example line of every event and command: they must parse.
final class DocsTests: XCTestCase {
    func testTheSchemaPagesExamplesParse() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/telemetry.md")
        let lines = try String(contentsOf: docs, encoding: .utf8).split(separator: "\n").map(String.init)
        var kinds = Set<EventKind>()
        for line in lines where line.hasPrefix("{\"event\":\"") {
            switch LineCoding.decode(Array(line.utf8)) {
            case .success(let parsed):
                kinds.insert(parsed.record.event.kind)
                XCTAssertEqual(parsed.token != nil, parsed.record.event.kind == .hello, line)
            case .failure(let reason):
                XCTFail("\(reason): \(line)")
            }
        }
        XCTAssertEqual(kinds, Set(EventKind.allCases))
        var commands: [String] = []
        for line in lines where line.hasPrefix("{\"command\":") {
            switch ControlCommand.decode(Array(line.utf8)) {
            case .success(let command): commands.append(command.name)
            case .failure(let reason): XCTFail("\(reason): \(line)")
            }
        }
        XCTAssertEqual(commands, ["stop", "checkpoint", "pause", "resume", "reconfigure"])
    }
}
