import Foundation
import TestSupport
import Topology
import XCTest

/// `meshtop probe` on 2 test hosts whose links tbf shapes to 200 Mbit/s: the topology it writes
/// sees that rate between the hosts, and shared memory faster within one.
final class ProbeTests: XCTestCase {
    func testTheProbeMeasuresTheShapedLinkBetweenHostsAndAFasterOneWithin() throws {
        let mbit = 200.0
        let hosts = try TestHosts(2, linkMbit: Int(mbit))
        defer { try? hosts.down() }
        let folder = try makeTemporaryFolder(for: self, "probe")
        let output = folder.appendingPathComponent("topology.json").path
        let result = try ProcessRunner.run([try Products.executable("meshtop"), "probe", "--hostfile", hosts.hostfile, "-o", output],
                                           environment: hosts.environment, timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try hosts.processes(), [], "every rank of the probe ended")
        for phase in ["probe: 4 ranks on 2 hosts", "probe: sgemm", "probe: every rank at once", "probe: within host", "probe: between"] {
            XCTAssertTrue(result.stdout.contains(phase), "no \"\(phase)\" line: \(result.stdout)")
        }
        let topology = try TopologyFile.read(output, option: output)
        XCTAssertEqual(topology.hosts.map(\.ranks), [2, 2])
        XCTAssertEqual(topology.compute.rankFlopsAllBusy.count, 4)
        let inter = try XCTUnwrap(topology.interHost), intra = try XCTUnwrap(topology.intraHost)
        XCTAssertEqual(Set(inter.ranks).count, 2)
        // tbf counts each packet's headers too (TCP/IP: ~3% of a full frame): the payload gets a
        // little less than the rate; well above half of it, and never above it by much.
        let shaped = mbit * 1e6 / 8
        XCTAssertGreaterThan(inter.bandwidthBytesPerSecond, 0.7 * shaped, "between hosts: \(inter.bandwidthBytesPerSecond) B/s")
        XCTAssertLessThan(inter.bandwidthBytesPerSecond, 1.1 * shaped, "between hosts: \(inter.bandwidthBytesPerSecond) B/s")
        XCTAssertGreaterThan(intra.bandwidthBytesPerSecond, 4 * inter.bandwidthBytesPerSecond,
                             "within a host \(intra.bandwidthBytesPerSecond) B/s, between \(inter.bandwidthBytesPerSecond)")
        XCTAssertGreaterThan(inter.latencySeconds, 0)
        XCTAssertGreaterThan(inter.samples.count, 2, "sizes doubled until a message took long enough")
    }
}
