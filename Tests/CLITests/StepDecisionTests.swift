import RunSpec
import XCTest

/// The per-step decision rank 0 broadcasts: every decision survives its four words, and words a
/// rank cannot act on mean "train on".
final class StepDecisionTests: XCTestCase {
    func testEveryDecisionRoundTripsThroughItsWords() throws {
        let decisions = [StepDecision.go, StepDecision(.go, checkpoint: true), StepDecision(.stop),
                         StepDecision(.stop, checkpoint: true), StepDecision(.reconfigure, mesh: try MeshShape(replicate: 1, shard: 4))]
        for decision in decisions {
            XCTAssertEqual(decision.words.count, StepDecision.wordCount)
            XCTAssertEqual(StepDecision(words: decision.words), decision)
        }
    }

    func testWordsARankCannotActOnMeanGo() {
        XCTAssertEqual(StepDecision(words: [7, 0, 0, 0]), .go)
        XCTAssertEqual(StepDecision(words: [2, 0, 0, 4]), .go, "a reconfigure without a mesh")
        XCTAssertEqual(StepDecision(words: [1, 0]), .go)
    }
}
