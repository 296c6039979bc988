import Memory
import XCTest

final class MemoryLedgerTests: XCTestCase {
    func testCountsExactBytesPerCategory() {
        let ledger = MemoryLedger()
        let weights = ledger.allocate(Float.self, count: 1000, category: .parameters, label: "w")
        _ = ledger.allocate(Float.self, count: 3, category: .parameters, label: "b")
        _ = ledger.allocate(Double.self, count: 10, category: .optimizer, label: "m")
        XCTAssertEqual(ledger.bytes(.parameters), 4012)
        XCTAssertEqual(ledger.bytes(.optimizer), 80)
        XCTAssertEqual(ledger.bytes(.gradients), 0)
        XCTAssertEqual(ledger.totalBytes, 4092)
        XCTAssertEqual(ledger.byCategory[.activations], 0)
        XCTAssertEqual(Int(bitPattern: weights.baseAddress) % MemoryLedger.alignment, 0)
        XCTAssertTrue(weights.allSatisfy { $0 == 0 })
    }

    func testResidentMemoryGrowsWhenPagesAreTouched() throws {
        let before = try XCTUnwrap(ResidentMemory.read())
        let ledger = MemoryLedger()
        let big = ledger.allocate(UInt8.self, count: 64 << 20, category: .scratch, label: "touch")
        for i in stride(from: 0, to: big.count, by: 4096) { big[i] = 1 }
        let after = try XCTUnwrap(ResidentMemory.read())
        XCTAssertGreaterThan(after.currentBytes - before.currentBytes, 60 << 20)
        XCTAssertGreaterThanOrEqual(after.peakBytes, after.currentBytes)
        XCTAssertGreaterThan(ResidentMemory.physicalBytes(), 1 << 30)
    }
}
