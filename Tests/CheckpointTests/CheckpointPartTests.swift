import Checkpoint
import ModelShape
import Parallel
import XCTest

/// The replicas of a shard split its write: every element of its pieces in exactly one part.
final class CheckpointPartTests: XCTestCase {
    let pieces = [CanonicalPiece(local: 0, full: 100 ..< 107), CanonicalPiece(local: 7, full: 300 ..< 303),
                  CanonicalPiece(local: 10, full: 50 ..< 55)]

    func testPartsCoverEveryElementOnceInOrder() {
        for parts in 1 ... 16 {
            let split = (0 ..< parts).map { CheckpointWriter.part(pieces, $0, of: parts) }
            let elements = split.flatMap { $0.flatMap { piece in piece.full.map { ($0, piece.local + $0 - piece.full.lowerBound) } } }
            let expected = pieces.flatMap { piece in piece.full.map { ($0, piece.local + $0 - piece.full.lowerBound) } }
            XCTAssertEqual(elements.map(\.0), expected.map(\.0), "\(parts) parts")
            XCTAssertEqual(elements.map(\.1), expected.map(\.1), "\(parts) parts: local offsets")
            let sizes = split.map { $0.reduce(0) { $0 + $1.full.count } }
            XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "\(parts) parts: \(sizes)")
        }
    }

    func testOnePartIsThePiecesThemselves() {
        XCTAssertEqual(CheckpointWriter.part(pieces, 0, of: 1), pieces)
    }

    func testFileNamesSayShardAndPart() {
        XCTAssertEqual(CheckpointWriter.fileName(shard: 1, of: 2), "shard-00001-of-00002.safetensors")
        XCTAssertEqual(CheckpointWriter.fileName(shard: 1, of: 2, part: 0, of: 3), "shard-00001-of-00002-part-0-of-3.safetensors")
    }
}
