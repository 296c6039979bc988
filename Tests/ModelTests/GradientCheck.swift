import XCTest

/// Compares float32 analytic gradients with double-precision central differences (see Ref).
/// Tolerance: |analytic - fd| <= 1e-2 * |fd| + 2e-3 * max|analytic over the tensor| + 1e-7.
/// A wrong gradient (missing term, wrong sign or transpose) is off by O(100%), far outside it.
func assertGradient(_ name: String, analytic: [Float], indices: [Int], fd: (Int) -> Double,
                    file: StaticString = #filePath, line: UInt = #line) {
    let scale = Double(analytic.map { abs($0) }.max() ?? 0)
    var nonzero = 0
    var worst = 0.0
    for j in indices {
        let f = fd(j), a = Double(analytic[j])
        let tolerance = 1e-2 * abs(f) + 2e-3 * scale + 1e-7
        worst = max(worst, abs(a - f) / tolerance)
        if abs(f) > 1e-6 { nonzero += 1 }
        XCTAssertLessThanOrEqual(abs(a - f), tolerance,
                                 "\(name)[\(j)]: analytic \(a) vs finite difference \(f)", file: file, line: line)
    }
    XCTAssertGreaterThan(nonzero, 0, "\(name): every sampled finite difference is ~0; the check is vacuous",
                         file: file, line: line)
}

/// Sample indices spread over 0..<count (all of them if count <= k).
func sampleIndices(_ count: Int, _ k: Int, _ rng: inout TestRandom) -> [Int] {
    if count <= k { return Array(0..<count) }
    return (0..<k).map { _ in rng.int(count) }
}
