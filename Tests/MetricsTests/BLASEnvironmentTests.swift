import Metrics
import XCTest

/// Which OpenBLAS kernel a rank asks for, and what it leaves to OpenBLAS or to the user.
final class BLASEnvironmentTests: XCTestCase {
    func testAFallbackToPrescottIsReplacedByTheWidestKernelTheCPUAllows() {
        XCTAssertEqual(BLASEnvironment.coreType(detected: "Prescott", level: .avx512), "SkylakeX")
        XCTAssertEqual(BLASEnvironment.coreType(detected: "Prescott", level: .avx2), "Haswell")
        XCTAssertEqual(BLASEnvironment.coreType(detected: "Prescott", level: .avx), "Sandybridge")
        XCTAssertNil(BLASEnvironment.coreType(detected: "Prescott", level: .older), "a real Prescott keeps its kernel")
    }

    func testAKernelOpenBLASChoseItselfStands() {
        for detected in ["Zen", "Haswell", "SkylakeX", "Cooperlake", "SapphireRapids", "Sandybridge"] {
            XCTAssertNil(BLASEnvironment.coreType(detected: detected, level: .avx512), detected)
        }
    }

    func testOnlyWhatIsMissingIsSetAndAUsersCoreTypeIsKept() {
        let both = BLASEnvironment.missing(in: [:], detected: "Prescott", level: .avx512)
        XCTAssertEqual(both.map(\.name), ["OPENBLAS_THREAD_TIMEOUT", "OPENBLAS_CORETYPE"])
        XCTAssertEqual(both.map(\.value), ["4", "SkylakeX"])
        let users = BLASEnvironment.missing(in: ["OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_THREAD_TIMEOUT": "4"],
                                            detected: "Prescott", level: .avx512)
        XCTAssertTrue(users.isEmpty, "\(users)")
        let timeoutOnly = BLASEnvironment.missing(in: [:], detected: "Zen", level: .avx2)
        XCTAssertEqual(timeoutOnly.map(\.name), ["OPENBLAS_THREAD_TIMEOUT"])
    }

    func testTheCacheKeyNamesTheKernel() {
        let own = BLASEnvironment.kernel
        XCTAssertTrue(MachineKey.current().contains(" \(own) "), MachineKey.current())
        let other = own == "Haswell" ? "SkylakeX" : "Haswell"
        let key = MachineKey.current(kernel: other)
        XCTAssertTrue(key.contains(" \(other) ") && !key.contains(" \(own) "), key)
    }
}
