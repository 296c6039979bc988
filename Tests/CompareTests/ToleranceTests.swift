import Compare
import XCTest

/// "Within rtol" is |a - b| <= rtol * max(|a|, |b|), with the non-finite cases spelled out.
final class ToleranceTests: XCTestCase {
    func testWithinRtolIsTheDifferenceAgainstTheLargerMagnitude() {
        XCTAssertTrue(Tolerance.agree(1.0, 1.0 + 1e-5, rtol: 1e-5 * 1.0000001))
        XCTAssertFalse(Tolerance.agree(1.0, 1.0 + 2e-5, rtol: 1e-5))
        XCTAssertTrue(Tolerance.agree(100, 100.0009, rtol: 1e-5))
        XCTAssertFalse(Tolerance.agree(100, 100.0011, rtol: 1e-5))
        // Symmetric: the larger magnitude is the scale whichever comes first.
        XCTAssertEqual(Tolerance.relative(2, 3), Tolerance.relative(3, 2))
        XCTAssertEqual(Tolerance.relative(2, 3), 1.0 / 3.0, accuracy: 1e-15)
        XCTAssertEqual(Tolerance.relative(-1, 1), 2)
        XCTAssertEqual(Tolerance.absolute(-1, 1), 2)
    }

    func testZeroAgreesWithZeroOnly() {
        XCTAssertTrue(Tolerance.agree(0, 0, rtol: 0))
        XCTAssertEqual(Tolerance.relative(0, 0), 0)
        XCTAssertFalse(Tolerance.agree(0, 1e-300, rtol: 0.5))
        XCTAssertEqual(Tolerance.relative(0, 1e-300), 1)
    }

    func testTheSameNonFiniteValuesAgreeAndNothingElseDoes() {
        XCTAssertTrue(Tolerance.agree(.nan, .nan, rtol: 0))
        XCTAssertTrue(Tolerance.agree(.infinity, .infinity, rtol: 0))
        XCTAssertFalse(Tolerance.agree(.infinity, -.infinity, rtol: 1))
        XCTAssertFalse(Tolerance.agree(.nan, 1, rtol: 1))
        XCTAssertFalse(Tolerance.agree(2, .infinity, rtol: 1))
        XCTAssertEqual(Tolerance.relative(.nan, 1), .infinity)
        XCTAssertEqual(Tolerance.absolute(.nan, .nan), 0)
        // Finite values whose difference overflows are as far apart as can be.
        XCTAssertEqual(Tolerance.relative(1e308, -1e308), .infinity)
    }
}
