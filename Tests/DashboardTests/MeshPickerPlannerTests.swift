import Dashboard
import FrontendCLI
import Model
import Planner
import RunSpec
import Telemetry
import Terminal
import Topology
import XCTest

/// FrontendCLI's adapter from the Planner to the picker: the figures the picker shows for a
/// debugmodel run on 4 ranks are Plan's, and other world sizes keep the run's global batch.
final class MeshPickerPlannerTests: XCTestCase {
    /// A debugmodel hello as meshtop-rank sends it, with the strategies' options it carries.
    private func hello(replicate: Int, shard: Int, localBatch: Int = 8, gradAccum: Int = 1, arguments: [String],
                       bucketMB: Double = 4, reshardAfterForward: Bool = true) -> Hello {
        let c = ModelConfig.debugmodel
        let world = replicate * shard
        let config = RunConfig(steps: 10, seqLen: 256, localBatchSize: localBatch, globalBatchSize: localBatch * gradAccum * world,
                               gradAccum: gradAccum, warmupSteps: 2, lr: 8e-4, maxNorm: 1, seed: 0, threads: 1,
                               dataPath: "data/tinyshakespeare.txt", tokenizerPath: "data/tokenizer.json", arguments: arguments,
                               bucketMB: bucketMB, reshardAfterForward: reshardAfterForward)
        let model = ModelSummary(flavor: "debugmodel", dim: c.dim, nLayers: c.nLayers, nHeads: c.nHeads, nKVHeads: c.nKVHeads ?? c.nHeads,
                                 vocabSize: c.vocabSize, parameters: c.parameterCount)
        var spec = RunSpecification(dataPath: config.dataPath, tokenizerPath: config.tokenizerPath)
        spec.mesh = try! MeshShape(replicate: replicate, shard: shard)
        spec.localBatchSize = localBatch
        spec.gradAccum = gradAccum
        spec.bucketMB = bucketMB
        spec.reshardAfterForward = reshardAfterForward
        return Hello(config: config, mesh: MeshLayout(replicate: replicate, shard: shard, strategy: "hsdp"), model: model,
                     flopsPerToken: 1, peak: PeakInfo(flops: 1, source: "given", detail: ""),
                     ranks: (0 ..< world).map { RankIdentity(rank: $0, host: "h", pid: 1) }, spec: spec)
    }

    private func expected(_ predictions: [MeshPrediction]) -> [MeshCandidate] {
        let best = Plan.bestForMemory(predictions)?.mesh, least = Plan.leastCommunication(predictions)?.mesh
        return predictions.map {
            MeshCandidate(replicate: $0.mesh.replicate, shard: $0.mesh.shard, memory: $0.memoryByName, residentBytes: $0.residentBytes,
                          bytesSent: $0.bytesSentByName, bestMemory: $0.mesh == best, leastCommunication: $0.mesh == least)
        }
    }

    func testDebugmodelOnFourRanksIsPlans() {
        let run = hello(replicate: 2, shard: 2, arguments: ["--mesh", "2x2", "--steps", "10", "--bucket-mb", "2", "--no-reshard-after-forward"],
                        bucketMB: 2, reshardAfterForward: false)
        let candidates = PickerPlanner.candidates(for: run, worldSize: 4)
        let workload = Workload(model: .debugmodel, localBatchSize: 8, seqLen: 256, gradAccum: 1, bucketMB: 2, reshardAfterForward: false)
        XCTAssertEqual(candidates, expected(Plan.candidates(worldSize: 4, workload: workload)))
        XCTAssertEqual(candidates.map { [$0.replicate, $0.shard] }, [[4, 1], [2, 2], [1, 4]])
        XCTAssertEqual(candidates.filter(\.bestMemory).count, 1)
        XCTAssertEqual(candidates.filter(\.leastCommunication).count, 1)
        XCTAssertNotEqual(candidates, PickerPlanner.candidates(for: hello(replicate: 2, shard: 2, arguments: []), worldSize: 4),
                          "--no-reshard-after-forward, as the hello carries it, changes the gathered parameters")
        let shown = Set(["parameters", "gradients", "optimizer", "gathered_parameters", "activations"])
        for c in candidates {
            XCTAssertTrue(shown.isSubset(of: Set(c.memory.keys)), "the picker's categories are the telemetry names")
            XCTAssertTrue(Set(c.bytesSent.keys).isSubset(of: ["all_reduce", "all_gather", "reduce_scatter"]))
        }
        // As drawn: the (2, 2) row shows Plan's parameters and resident figures.
        var view = ViewState()
        view.overlay = .meshPicker
        view.picker = MeshPickerView(worldSize: 4, maxWorldSize: 4, selected: 1, candidates: candidates)
        var state = DashboardState()
        state.apply(.record(TelemetryRecord(time: 0, event: .hello(run))))
        var frame = Buffer(width: 160, height: 48)
        DashboardView.render(state, view, theme: .defaultDark, glyphs: .unicode, live: true, into: &frame)
        assertSnapshot(frame, named: "meshpicker-debugmodel-160x48")
    }

    /// With a topology (`meshtop run --topology`), each mesh's step time and tokens/s are Plan's
    /// for the run's hosts and placement; they show beside the measured figures.
    func testATopologyPredictsEachMeshsStepTime() throws {
        let run = hello(replicate: 2, shard: 2, arguments: ["--mesh", "2x2"])
        let topology = Topology(measuredAt: 0, hosts: [.init(name: "a", ranks: 2, cores: 2), .init(name: "b", ranks: 2, cores: 2)],
                                compute: .init(shape: "512x768x256", coreFlopsAlone: 80e9, rankFlopsAllBusy: [40e9, 40e9, 40e9, 40e9]),
                                intraHost: .init(ranks: [0, 1], latencySeconds: 2e-6, bandwidthBytesPerSecond: 2e9, samples: []),
                                interHost: .init(ranks: [0, 2], latencySeconds: 60e-6, bandwidthBytesPerSecond: 25e6, samples: []))
        let timing = PickerTiming(topology: topology, slots: [2, 2], policy: .node)
        let candidates = PickerPlanner.candidates(for: run, worldSize: 4, timing: timing)
        let workload = Workload(model: .debugmodel, localBatchSize: 8, seqLen: 256)
        for c in candidates {
            let mesh = try MeshShape(replicate: c.replicate, shard: c.shard)
            let plan = Plan.predict(mesh: mesh, workload: workload, placement: Placement(slots: [2, 2], policy: .node),
                                    timing: TimeModel(topology: topology, ranks: 4))
            XCTAssertEqual(c.stepSeconds, plan.time?.stepSeconds, "\(mesh)")
            XCTAssertEqual(c.tokensPerSecond, plan.time?.tokensPerSecond, "\(mesh)")
        }
        XCTAssertEqual(PickerTiming.policy(environment: ["OMPI_MCA_rmaps_base_mapping_policy": "node"]), .node)
        XCTAssertEqual(PickerTiming.policy(environment: [:]), .slot)
        XCTAssertNil(PickerPlanner.candidates(for: run, worldSize: 4).first?.stepSeconds, "no topology, no time")
        // The picker draws the predicted step and tok/s in the columns the measured row fills.
        var view = ViewState()
        view.overlay = .meshPicker
        view.picker = MeshPickerView(worldSize: 4, maxWorldSize: 4, selected: 1, candidates: candidates)
        var state = DashboardState()
        state.apply(.record(TelemetryRecord(time: 0, event: .hello(run))))
        var frame = Buffer(width: 160, height: 48)
        DashboardView.render(state, view, theme: .defaultDark, glyphs: .unicode, live: true, into: &frame)
        assertSnapshot(frame, named: "meshpicker-debugmodel-timed-160x48")
        // Against the same picker without a topology: each row gains its two last figures.
        view.picker.candidates = PickerPlanner.candidates(for: run, worldSize: 4)
        var untimed = Buffer(width: 160, height: 48)
        DashboardView.render(state, view, theme: .defaultDark, glyphs: .unicode, live: true, into: &untimed)
        func figures(_ buffer: Buffer, _ mesh: String) throws -> [Substring] {
            // The picker's row of the mesh (139M: its activations), not the dashboard's header behind it.
            let row = try XCTUnwrap(buffer.text.split(separator: "\n").first { $0.contains(mesh) && $0.contains("139M") })
            return row.split(whereSeparator: { $0 == " " || $0 == "│" || $0 == "▶" })
        }
        for mesh in ["[4, 1]", "[2, 2]", "[1, 4]"] {
            XCTAssertEqual(try figures(frame, mesh).count, try figures(untimed, mesh).count + 2, mesh)
        }
    }

    func testOtherWorldSizesKeepTheGlobalBatch() {
        let run = hello(replicate: 2, shard: 2, arguments: ["--mesh", "2x2", "--no-reshard-after-forward"],
                        reshardAfterForward: false)  // 32 sequences
        let two = Workload(model: .debugmodel, localBatchSize: 8, seqLen: 256, gradAccum: 2, reshardAfterForward: false)
        XCTAssertEqual(PickerPlanner.candidates(for: run, worldSize: 2), expected(Plan.candidates(worldSize: 2, workload: two)))
        let eight = Workload(model: .debugmodel, localBatchSize: 4, seqLen: 256, gradAccum: 1, reshardAfterForward: false)
        XCTAssertEqual(PickerPlanner.candidates(for: run, worldSize: 8), expected(Plan.candidates(worldSize: 8, workload: eight)))
        let three = PickerPlanner.candidates(for: run, worldSize: 3)
        XCTAssertEqual(three.map { [$0.replicate, $0.shard] }, [[3, 1], [1, 3]])
        XCTAssertEqual(Set(three.map(\.unavailable)), ["3 ranks cannot keep the global batch of 32 sequences (not a multiple of 3)"])
    }

    func testARecordingWithoutASpecificationGivesEveryMeshWithTheReason() {
        var run = hello(replicate: 4, shard: 1, arguments: [])
        run.spec = nil
        let candidates = PickerPlanner.candidates(for: run, worldSize: 4)
        XCTAssertEqual(candidates.map { [$0.replicate, $0.shard] }, [[4, 1], [2, 2], [1, 4]])
        XCTAssertEqual(Set(candidates.map(\.unavailable)),
                       ["the run's hello carries no specification (recorded by an older meshtop)"])
    }
}
