import Mesh
import XCTest

final class MeshShapeTests: XCTestCase {
    func testParsesBothForms() throws {
        XCTAssertEqual(try MeshShape.parse("2x2"), try MeshShape(replicate: 2, shard: 2))
        XCTAssertEqual(try MeshShape.parse("3,1"), try MeshShape(replicate: 3, shard: 1))
        XCTAssertEqual(try MeshShape.parse(" 1 , 4 "), try MeshShape(replicate: 1, shard: 4))
        XCTAssertEqual(try MeshShape.parse("8X1"), try MeshShape(replicate: 8, shard: 1))
    }

    func testRejectsMalformedWithTheInputNamed() {
        for text in ["", "2", "2x", "x2", "axb", "2x2x1", "2.5x2", "2;2", "two x 2"] {
            XCTAssertThrowsError(try MeshShape.parse(text), text) { error in
                XCTAssertEqual(error as? MeshError, .malformed(text))
                XCTAssertTrue("\(error)".contains("'\(text)'"), "\(error)")
            }
        }
    }

    func testRejectsZeroAndNegative() {
        for (text, r, s) in [("0x4", 0, 4), ("4x0", 4, 0), ("-1x4", -1, 4), ("2,-2", 2, -2)] {
            XCTAssertThrowsError(try MeshShape.parse(text)) { error in
                XCTAssertEqual(error as? MeshError, .nonPositive(replicate: r, shard: s))
            }
        }
    }

    func testSizeMismatchNamesBothCounts() throws {
        let shape = try MeshShape.parse("3x2")
        XCTAssertNoThrow(try shape.validate(worldSize: 6))
        XCTAssertThrowsError(try shape.validate(worldSize: 4)) { error in
            XCTAssertEqual("\(error)", "mesh 3x2 needs 3 x 2 = 6 ranks, but 4 were started")
        }
    }

    func testRankAndCoordinatesAreInverse() throws {
        for n in 1...12 {
            for shape in MeshShape.all(worldSize: n) {
                for rank in 0..<n {
                    let (r, s) = shape.coordinates(ofRank: rank)
                    XCTAssertEqual(r * shape.shard + s, rank)  // torchtitan's layout, written out
                    XCTAssertEqual(shape.rank(replicate: r, shard: s), rank)
                }
            }
        }
    }

    func testGroupsOfA2x3Mesh() throws {
        // Rows are replicas (shard groups), columns are shard positions (replicate groups):
        //   r0: 0 1 2
        //   r1: 3 4 5
        let shape = try MeshShape(replicate: 2, shard: 3)
        XCTAssertEqual(shape.shardGroup(ofRank: 4), [3, 4, 5])
        XCTAssertEqual(shape.replicateGroup(ofRank: 4), [1, 4])
        XCTAssertEqual(shape.shardGroup(ofRank: 0), [0, 1, 2])
        XCTAssertEqual(shape.replicateGroup(ofRank: 2), [2, 5])
    }

    func testEnumeratesEveryDivisorPair() {
        XCTAssertEqual(MeshShape.all(worldSize: 1).map(\.description), ["1x1"])
        XCTAssertEqual(MeshShape.all(worldSize: 4).map(\.description), ["4x1", "2x2", "1x4"])
        XCTAssertEqual(MeshShape.all(worldSize: 7).map(\.description), ["7x1", "1x7"])
        XCTAssertEqual(MeshShape.all(worldSize: 12).map(\.description), ["12x1", "6x2", "4x3", "3x4", "2x6", "1x12"])
        XCTAssertEqual(MeshShape.all(worldSize: 0), [])
        for n in 1...64 {
            let all = MeshShape.all(worldSize: n)
            XCTAssertEqual(all.count, (1...n).filter { n % $0 == 0 }.count)
            XCTAssertTrue(all.allSatisfy { $0.worldSize == n })
        }
    }

    func testStrategyAndTorchtitanLine() throws {
        XCTAssertEqual(try MeshShape.parse("8x1").strategy, .replicate)
        XCTAssertEqual(try MeshShape.parse("1x8").strategy, .fsdp)
        XCTAssertEqual(try MeshShape.parse("2x4").strategy, .hsdp)
        XCTAssertEqual(try MeshShape.parse("1x1").strategy, .single)
        XCTAssertEqual(try MeshShape.parse("8x1").buildingLine,
                       "Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [8, 1]")
    }
}
