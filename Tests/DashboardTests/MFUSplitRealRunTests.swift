import Foundation
import XCTest
import Dashboard
import RunSpec
import Telemetry
import Terminal
import TestSupport

/// A real run on (1, 2) under mpirun, against the measured (or cached) peak: every MFU it reports,
/// on rank 0's step lines, in every rank's telemetry and on the dashboard, comes with its split into
/// the GEMMs' rate against the peak x the share of the working time in GEMMs x the share not waiting x
/// model FLOPs per GEMM FLOP, and the split multiplies back to the MFU shown, to half a point; the
/// step lines and the dashboard say where the peak came from.
final class MFUSplitRealRunTests: XCTestCase {
    func testEverySplitOfARealRunMultipliesBackToItsMFU() throws {
        let folder = try makeTemporaryFolder(for: self, "mfu-split")
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        var environment = receiver.environment
        environment["MESHTOP_CACHE_DIR"] = ProcessInfo.processInfo.environment["MESHTOP_CACHE_DIR"] ?? folder.path
        let result = try ProcessRunner.run(
            MPIRun.command(ranks: 2, quiet: true, ["-x", "MESHTOP_TELEMETRY", "-x", "MESHTOP_TELEMETRY_TOKEN", "-x", "MESHTOP_CACHE_DIR",
                                                   try Products.executable("meshtop-rank"), "--mesh", "1x2", "--flavor", "tiny",
                                                   "--seq-len", "64", "--local-batch-size", "4", "--steps", "3",
                                                   "--dump-folder", try dumpFolder(in: folder)]),
            environment: environment, timeout: 180)
        XCTAssertEqual(result.status, 0, result.stderr)

        // Rank 0's step lines: the peak's source, then the split, whose printed figures give the printed MFU.
        let stepLines = result.stdoutLines.filter { $0.hasPrefix("step: ") }
        XCTAssertEqual(stepLines.count, 3, result.stdout)
        for line in stepLines {
            XCTAssertNotNil(line.range(of: #"  peak: [0-9.]+ GF/s (measured now|cached \d+[smhd] ago|raised at step \d+)  = gemm "#,
                                       options: .regularExpression), line)
            let mfu = try XCTUnwrap(line.range(of: #"mfu: [0-9.]+%"#, options: .regularExpression).flatMap {
                Double(line[$0].dropFirst(5).dropLast()) }, line)
            let split = try XCTUnwrap(line.range(of: "  = ").map { String(line[$0.upperBound...]) })
            let f = MFUSplitScreen.numbers(split)
            XCTAssertEqual(f.count, 4, split)
            XCTAssertEqual(f[0] * f[1] * f[2] / 1e4 * f[3], mfu, accuracy: 0.5, line)
        }

        var state = DashboardState()
        var steps: [Step] = []
        while let item = receiver.next(timeout: 5) {
            if case .record(let record) = item {
                state.apply(.record(record))
                if case .step(let step) = record.event { steps.append(step) }
            }
            if case .sessionEnded = item { break }
        }
        let hello = try XCTUnwrap(state.hello)
        XCTAssertNotEqual(hello.peak.source, "given")
        XCTAssertEqual(steps.count, 3)
        // Every rank's split, as sent: its product is the MFU, and it is what the rank's own figures give.
        var peak = hello.peak
        for step in steps {
            if let raised = step.peak { peak = raised }
            XCTAssertEqual(step.ranks.count, 2)
            for rank in step.ranks {
                let sent = try XCTUnwrap(rank.mfuSplit, "step \(step.step) rank \(rank.rank)")
                let product = sent.gemmOfPeak * sent.inGemms * sent.notWaiting * sent.modelPerGemmFlop
                XCTAssertEqual(100 * product, rank.mfu, accuracy: 1e-9 * rank.mfu, "step \(step.step) rank \(rank.rank)")
                let own = try XCTUnwrap(MFUSplit(modelFlops: hello.flopsPerToken * Double(rank.tokens), stepSeconds: rank.seconds.total,
                                                 peakFlops: peak.flops, gemmSeconds: try XCTUnwrap(rank.seconds.gemm),
                                                 gemmFlops: try XCTUnwrap(rank.gemmFlops), waitSeconds: rank.seconds.communication))
                XCTAssertEqual(MFUSplitFigures(own), sent)
                XCTAssertGreaterThan(rank.seconds.communication, 0, "FSDP waits for its gathers")
                XCTAssertLessThan(sent.notWaiting, 1)
            }
        }
        // The dashboard: the gauge says the peak's source, and the split under it multiplies back to it.
        let screen = render(state, width: 160, height: 48).text
        let shown = try MFUSplitScreen.read(screen)
        XCTAssertEqual(shown.product, shown.mfu, accuracy: 0.5, shown.line)
        XCTAssertNotNil(screen.range(of: #"% of [0-9.]+ GF/s \((measured now|cached \d+[smhd] ago|raised at step \d+)\)"#,
                                     options: .regularExpression), screen)
    }
}
