import Trainer
import XCTest

/// When a step tests its collectives between kernels: only while this host's ranks x threads fit
/// its cores (Trainer+Progress), as mpirun tells each rank how many share its host.
final class OversubscriptionTests: XCTestCase {
    func testRanksTimesThreadsBeyondTheCoresIsOversubscribed() {
        let four = ["OMPI_COMM_WORLD_LOCAL_SIZE": "4"], two = ["OMPI_COMM_WORLD_LOCAL_SIZE": "2"]
        XCTAssertTrue(Trainer.hostOversubscribed(environment: four, threads: 1, cores: 2))
        XCTAssertFalse(Trainer.hostOversubscribed(environment: two, threads: 1, cores: 2))
        XCTAssertTrue(Trainer.hostOversubscribed(environment: two, threads: 2, cores: 2))
        XCTAssertFalse(Trainer.hostOversubscribed(environment: four, threads: 1, cores: 4))
        XCTAssertFalse(Trainer.hostOversubscribed(environment: [:], threads: 8, cores: 2), "not under mpirun: one rank")
    }
}
