import Foundation
import RunSpec
import Topology
import XCTest

/// The topology file: written and read back the same, and every malformed file refused in one
/// line naming the field; the link fit on samples made from a known latency and bandwidth.
final class TopologyFileTests: XCTestCase {
    let topology = PlanTopologyCommandTests.topology()

    func testRoundTripsThroughTheFile() throws {
        let folder = try makeFolder()
        let path = folder.appendingPathComponent("t.json").path
        try TopologyFile.write(topology, to: path)
        XCTAssertEqual(try TopologyFile.read(path, option: "--topology t.json"), topology)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("\"format\" : \"meshtop-topology\""), text)
        XCTAssertTrue(text.contains("\"bandwidth_bytes_per_second\""), "snake_case keys: \(text)")
        XCTAssertEqual(try ProbeResult.topology(inLine: ProbeResult.linePrefix + TopologyFile.line(topology)), topology)
        XCTAssertNil(try ProbeResult.topology(inLine: "probe: 4 ranks on 2 hosts"))
    }

    func testRefusesWhatIsNotATopologyOfThisVersion() throws {
        func refusal(_ text: String) -> String {
            do { _ = try TopologyFile.decode(Data(text.utf8), name: "t.json"); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(refusal("[1, 2]").contains("t.json: not a JSON object"))
        XCTAssertTrue(refusal("{\"a\": 1}").contains("not a topology file"))
        XCTAssertTrue(refusal("{\"format\": \"meshtop-topology\", \"version\": 7}").contains("topology version 7"))
        let good = String(decoding: try TopologyFile.encode(topology), as: UTF8.self)
        let missing = good.replacingOccurrences(of: "\"core_flops_alone\"", with: "\"core_flops\"")
        XCTAssertEqual(refusal(missing), "t.json: compute.core_flops_alone: missing")
        let zero = good.replacingOccurrences(of: "\"bandwidth_bytes_per_second\" : 25000000", with: "\"bandwidth_bytes_per_second\" : 0")
        XCTAssertEqual(refusal(zero), "t.json: inter_host.bandwidth_bytes_per_second 0.0: must be positive")
    }

    /// 60 us and 25 MB/s, with a shaper's 64 KB let through at line rate: the slope finds the rate.
    func testTheFitTakesTheLatencyAndTheSlopeOfTheLargeMessages() throws {
        let latency = 60e-6, bandwidth = 25e6, burst = 65_536.0
        let sizes = [8, 65_536, 131_072, 262_144, 524_288, 1_048_576]
        let samples = sizes.map { bytes -> Topology.Sample in
            let t = latency + max(0, Double(bytes) - burst) / bandwidth
            return Topology.Sample(bytes: bytes, bestSeconds: t, medianSeconds: t * 1.1)
        }
        let link = try XCTUnwrap(LinkFit.link(ranks: [0, 2], samples: samples.shuffled()))
        XCTAssertEqual(link.latencySeconds, latency, accuracy: 1e-12)
        XCTAssertEqual(link.bandwidthBytesPerSecond, bandwidth, accuracy: bandwidth * 1e-9)
        XCTAssertEqual(link.samples.map(\.bytes), sizes, "kept in size order")
        XCTAssertNil(LinkFit.link(ranks: [0, 1], samples: Array(samples.prefix(1))), "one size says nothing of bandwidth")
    }

    private func makeFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("topology-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
