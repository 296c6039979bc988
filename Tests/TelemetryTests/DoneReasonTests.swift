import Foundation
import RunSpec
import Telemetry
import XCTest

/// `done`'s reason is an enum here and a string on the wire: known ones map both ways, and a
/// reason from a newer writer is kept, not refused.
final class DoneReasonTests: XCTestCase {
    func testKnownReasonsAreTheirWireStrings() throws {
        for reason in [DoneReason.completed, .stopped, .failed, .reconfigure] {
            let done = Done(status: 0, reason: reason, summary: RunSummary(steps: 1, tokens: 2, seconds: 3))
            let json = String(decoding: try JSONEncoder().encode(done), as: UTF8.self)
            XCTAssertTrue(json.contains("\"reason\":\"\(reason.rawValue)\""), json)
            XCTAssertEqual(try JSONDecoder().decode(Done.self, from: Data(json.utf8)).reason, reason)
        }
    }

    func testAReasonFromANewerWriterIsKeptAsItCame() throws {
        let json = #"{"status":1,"reason":"preempted","summary":{"steps":4,"tokens":8,"seconds":1.5}}"#
        let done = try JSONDecoder().decode(Done.self, from: Data(json.utf8))
        XCTAssertEqual(done.reason, .unknown("preempted"))
        XCTAssertTrue(String(decoding: try JSONEncoder().encode(done), as: UTF8.self).contains("\"preempted\""))
    }
}
