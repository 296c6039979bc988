import ModelShape
import Planner
import RunSpec
import Topology
import XCTest

/// The time model's arithmetic on cases worked out by hand: each pattern's rounds, a call's time
/// over shared host links, the step's timeline (what each strategy can hide), placements.
final class TimeModelTests: XCTestCase {
    /// 25 MB/s and 1 ms between hosts; 1 GB/s and 10 us within one.
    let model = TimeModel(rankFlops: 1e10, shareOfSgemm: 1,
                          intraHost: .init(latencySeconds: 10e-6, bandwidthBytesPerSecond: 1e9),
                          interHost: .init(latencySeconds: 1e-3, bandwidthBytesPerSecond: 25e6))

    func call(_ kind: CollectiveKind, _ bytes: Int, ranks: Int = 4, blocking: Bool) -> Planner.CollectiveCall {
        Planner.CollectiveCall(kind: kind, bufferBytes: bytes, ranks: ranks, over: .shard, blocking: blocking)
    }

    func testBinomialAllReduceGoesUpTheTreeAndBackDown() {
        let rounds = CallRounds.rounds(call(.allReduce, 100, blocking: false))
        let edges = rounds.map { $0.map { "\($0.from)>\($0.to)" } }
        XCTAssertEqual(edges, [["1>0", "3>2"], ["2>0"], ["0>2"], ["0>1", "2>3"]])
        XCTAssertTrue(rounds.joined().allSatisfy { $0.bytes == 100 })
    }

    func testRecursiveHalvingAndDoublingAndTheLinearGather() {
        let halving = CallRounds.rounds(call(.reduceScatter, 400, blocking: true))
        XCTAssertEqual(halving.map { $0.map(\.bytes) }, [[200, 200, 200, 200], [100, 100, 100, 100]])
        XCTAssertEqual(halving[1].map(\.to), [2, 3, 0, 1])
        // Rabenseifner's: halving down, doubling back; 2 ranks: half each way, twice.
        let two = CallRounds.rounds(call(.allReduce, 400, ranks: 2, blocking: true))
        XCTAssertEqual(two, Array(repeating: [Transfer(from: 0, to: 1, bytes: 200), Transfer(from: 1, to: 0, bytes: 200)], count: 2))
        let four = CallRounds.rounds(call(.allReduce, 400, ranks: 4, blocking: true))
        XCTAssertEqual(four.map { $0.map(\.bytes) }, [[200, 200, 200, 200], [100, 100, 100, 100], [100, 100, 100, 100], [200, 200, 200, 200]])
        XCTAssertEqual(four.joined().map(\.bytes).reduce(0, +) / 4, 600, "2 (p-1)/p of the buffer a rank")
        // 3 ranks: 0 hands its buffer to 1, which stands in for it with 2, and hands the result back.
        let three = CallRounds.rounds(call(.allReduce, 400, ranks: 3, blocking: true))
        XCTAssertEqual(three.map { $0.map { "\($0.from)>\($0.to):\($0.bytes)" } },
                       [["0>1:400"], ["1>2:200", "2>1:200"], ["1>2:200", "2>1:200"], ["1>0:400"]])
        let gather = CallRounds.rounds(call(.allGather, 400, blocking: false))
        XCTAssertEqual(gather.count, 1, "every block at once")
        XCTAssertEqual(gather[0].count, 12)
        XCTAssertTrue(gather[0].allSatisfy { $0.bytes == 100 })
    }

    /// The rounds cross hosts with the bytes InterHostPrediction counts, for every pattern and placement.
    func testRoundsCrossHostsWithTheBytesInterHostPredictionCounts() {
        let workload = Workload(model: .tiny, localBatchSize: 2, seqLen: 32, bucketMB: 0.5)
        for mesh in MeshShape.all(worldSize: 4) {
            for policy in Placement.Policy.allCases {
                let hosts = Placement(slots: [2, 2], policy: policy).hostOfRank(ranks: 4)
                guard case .success(let time) = StepTimePrediction.predict(workload, mesh: mesh, hostOfRank: hosts, model: model) else {
                    return XCTFail("\(mesh) \(policy): not predicted")
                }
                XCTAssertEqual(time.interHostBytes.values.reduce(0, +),
                               InterHostPrediction.perStep(workload, mesh: mesh, hostOfRank: hosts), "\(mesh) by \(policy)")
            }
        }
    }

    /// Ranks 0, 1 on host 0 and 2, 3 on host 1: a host's two ranks share its link.
    func testACallPaysTheBusiestHostLinkAndOneLatencyARound() throws {
        let hosts = [0, 0, 1, 1]
        // Each rank sends 1 MB to each of 3 others at once; 2 ranks x 2 peers across = 4 MB leave each host.
        let gather = try XCTUnwrap(CallTiming.time(call(.allGather, 4_000_000, blocking: false), groups: [[0, 1, 2, 3]],
                                                   hostOfRank: hosts, model: model))
        XCTAssertEqual(gather.seconds, 1e-3 + 4e6 / 25e6, accuracy: 1e-12)
        XCTAssertEqual(gather.interHostBytes, 8_000_000)
        XCTAssertEqual(gather.intraHostBytes, 4_000_000)
        // Halving: 2 MB to the partner on the same host (2 ms + 10 us), then 1 MB each across (2 MB a host).
        let scatter = try XCTUnwrap(CallTiming.time(call(.reduceScatter, 4_000_000, blocking: true), groups: [[0, 1, 2, 3]],
                                                    hostOfRank: hosts, model: model))
        XCTAssertEqual(scatter.seconds, (10e-6 + 2e6 / 1e9) + (1e-3 + 2e6 / 25e6), accuracy: 1e-12)
        // Two groups side by side ([0, 2] and [1, 3], each across): both share each host's link,
        // 2 x 500 kB out of each host in each of the two rounds.
        let pairs = try XCTUnwrap(CallTiming.time(call(.allReduce, 1_000_000, ranks: 2, blocking: true), groups: [[0, 2], [1, 3]],
                                                  hostOfRank: hosts, model: model))
        XCTAssertEqual(pairs.seconds, 2 * (1e-3 + 1e6 / 25e6), accuracy: 1e-12)
    }

    /// A host link carrying bytes both ways in a round runs at the both-ways rate; one way, at its own.
    func testALinkBusyBothWaysRunsAtItsBothWaysRate() throws {
        var slow = model
        slow.interHost?.bothWaysBandwidthBytesPerSecond = 12.5e6
        let hosts = [0, 0, 1, 1]
        let gather = try XCTUnwrap(CallTiming.time(call(.allGather, 4_000_000, blocking: false), groups: [[0, 1, 2, 3]],
                                                   hostOfRank: hosts, model: slow))
        XCTAssertEqual(gather.seconds, 1e-3 + 4e6 / 12.5e6, accuracy: 1e-12, "every pair both ways")
        // The binomial tree's crossing rounds go one way (2 > 0 up, 0 > 2 down).
        let tree = try XCTUnwrap(CallTiming.time(call(.allReduce, 1_000_000, blocking: false), groups: [[0, 1, 2, 3]],
                                                 hostOfRank: hosts, model: slow))
        let oneWay = try XCTUnwrap(CallTiming.time(call(.allReduce, 1_000_000, blocking: false), groups: [[0, 1, 2, 3]],
                                                   hostOfRank: hosts, model: model))
        XCTAssertEqual(tree.seconds, oneWay.seconds, accuracy: 1e-12)
    }

    func testAPatternNeedingALinkTheTopologyLacksIsNotPredicted() {
        var oneHost = model
        oneHost.interHost = nil
        let hosts = [0, 0, 1, 1]
        XCTAssertNil(CallTiming.time(call(.allGather, 1000, blocking: false), groups: [[0, 1, 2, 3]], hostOfRank: hosts, model: oneHost))
        guard case .failure(let why) = StepTimePrediction.predict(Workload(model: .tiny), mesh: try! MeshShape(replicate: 1, shard: 4),
                                                                  hostOfRank: hosts, model: oneHost) else { return XCTFail("predicted") }
        XCTAssertTrue(why.description.contains("between hosts"), why.description)
    }

    /// Compute is the model's FLOPs per token times the step's tokens over the rate reached.
    func testComputeIsTheStepsFlopsOverTheRateAStepReaches() throws {
        let workload = Workload(model: .debugmodel, localBatchSize: 8, seqLen: 256, gradAccum: 2)
        var half = model
        half.shareOfSgemm = 0.5
        let time = try StepTimePrediction.predict(workload, mesh: try MeshShape(replicate: 1, shard: 1), hostOfRank: [0], model: half).get()
        let flops = ModelConfig.debugmodel.flopsPerToken(seqLen: 256) * 8 * 256 * 2
        XCTAssertEqual(time.computeSeconds, flops / (1e10 * 0.5), accuracy: 1e-9)
        XCTAssertEqual(time.stepSeconds, time.computeSeconds, accuracy: 1e-9, "one rank: nothing to wait for")
        XCTAssertEqual(time.tokensPerSecond, Double(8 * 256 * 2) / time.stepSeconds, accuracy: 1e-6)
    }

    /// One bucket closes only at the end of the backward: nothing hides it. Small buckets start
    /// early and hide behind the rest of the backward.
    func testReplicateHidesItsBucketsBehindTheRestOfTheBackward() throws {
        let mesh = try MeshShape(replicate: 2, shard: 1)
        let one = try StepTimePrediction.predict(Workload(model: .tiny, bucketMB: 1000), mesh: mesh, hostOfRank: [0, 1], model: model).get()
        XCTAssertEqual(one.stepSeconds, one.computeSeconds + one.communicationSeconds, accuracy: 1e-12)
        XCTAssertEqual(one.hiddenSeconds, 0, accuracy: 1e-12)
        var fast = model
        fast.interHost = .init(latencySeconds: 0, bandwidthBytesPerSecond: 1e12)
        let many = try StepTimePrediction.predict(Workload(model: .tiny, bucketMB: 0.01), mesh: mesh, hostOfRank: [0, 1], model: fast).get()
        // Only the last bucket (the embedding's, closed at unit 0, where the backward ends) is left to wait for.
        XCTAssertLessThan(many.exposedSeconds, many.communicationSeconds)
        XCTAssertGreaterThan(many.hiddenSeconds, 0)
    }

    /// A started call moves only once the rank enters MPI again: FSDP's forward prefetch moves
    /// during the unit before (its kernels test it), so only the gathers are hidden, never the
    /// blocking reduce-scatters. Replicate tests its buckets during the backward.
    func testStartedCallsMoveOnlyInsideMPI() throws {
        let workload = Workload(model: .tiny, localBatchSize: 2, seqLen: 32)
        let fsdp = try StepTimePrediction.predict(workload, mesh: try MeshShape(replicate: 1, shard: 4), hostOfRank: [0, 0, 1, 1],
                                                  model: model).get()
        XCTAssertGreaterThan(fsdp.hiddenSeconds, 0, "the forward's gathers move during the unit before")
        XCTAssertLessThanOrEqual(fsdp.hiddenSeconds, (fsdp.secondsByKind[.allGather] ?? 0) + 1e-12)
        let log = CommunicationPrediction.calls(workload, mesh: try MeshShape(replicate: 2, shard: 1))
        XCTAssertTrue(log.allSatisfy { !$0.blocking }, "replicate's buckets are started")
        let replicate = try StepTimePrediction.predict(Workload(model: .tiny, bucketMB: 0.01), mesh: try MeshShape(replicate: 2, shard: 1),
                                                       hostOfRank: [0, 1], model: model).get()
        XCTAssertGreaterThan(replicate.hiddenSeconds, 0, "tested during the backward: hidden behind its rest")
    }

    /// FSDP's reduce-scatters block: the step waits for each of them. HSDP's all-reduces of the
    /// shards are started unit by unit and move during the rest of the backward.
    func testBlockingCallsAreNeverHidden() throws {
        let workload = Workload(model: .tiny, localBatchSize: 2, seqLen: 32)
        let hosts = [0, 0, 1, 1]
        for mesh in [try MeshShape(replicate: 1, shard: 4), try MeshShape(replicate: 2, shard: 2)] {
            let time = try StepTimePrediction.predict(workload, mesh: mesh, hostOfRank: hosts, model: model).get()
            let blocking = time.secondsByKind[.reduceScatter] ?? 0
            XCTAssertGreaterThanOrEqual(time.exposedSeconds + 1e-12, blocking, "\(mesh)")
            XCTAssertLessThanOrEqual(time.exposedSeconds, time.communicationSeconds + 1e-12, "\(mesh)")
            XCTAssertEqual(time.stepSeconds, time.computeSeconds + time.exposedSeconds, accuracy: 1e-12)
        }
        let hsdp = CommunicationPrediction.calls(workload, mesh: try MeshShape(replicate: 2, shard: 2)).filter { $0.kind == .allReduce }
        XCTAssertEqual(hsdp.count, ParameterLayout(config: .tiny).units.count, "one all-reduce per unit's gradient shard")
        XCTAssertTrue(hsdp.allSatisfy { !$0.blocking && $0.over == .replicate })
        let time = try StepTimePrediction.predict(workload, mesh: try MeshShape(replicate: 2, shard: 2), hostOfRank: hosts, model: model).get()
        XCTAssertGreaterThan(time.hiddenSeconds, 0, "all but the last unit's all-reduce move during the backward")
    }

    func testPlacementsBySlotAndByNode() {
        XCTAssertEqual(Placement(slots: [2, 2], policy: .slot).hostOfRank(ranks: 4), [0, 0, 1, 1])
        XCTAssertEqual(Placement(slots: [2, 2], policy: .node).hostOfRank(ranks: 4), [0, 1, 0, 1])
        XCTAssertEqual(Placement(slots: [3, 1], policy: .node).hostOfRank(ranks: 4), [0, 1, 0, 0], "a full host is skipped")
        XCTAssertEqual(Placement(slots: [1, 1], policy: .slot).hostOfRank(ranks: 3), [0, 1, 0], "past the slots: around again")
        XCTAssertEqual(Placement.evenly(hosts: 2, ranks: 6).slots, [3, 3])
    }

    /// One host's 2 cores shared by 4 ranks (test hosts): each gets half a core; 2 ranks a whole one.
    func testRanksShareTheCoresTheProbeFound() {
        let compute = Topology.Compute(shape: "512x768x256", coreFlopsAlone: 80e9, rankFlopsAllBusy: [40e9, 42e9, 38e9, 40e9])
        XCTAssertEqual(compute.effectiveCores, 2, accuracy: 1e-12)
        XCTAssertEqual(compute.rankFlops(ranks: 4), 40e9, accuracy: 1)
        XCTAssertEqual(compute.rankFlops(ranks: 8), 20e9, accuracy: 1)
        XCTAssertEqual(compute.rankFlops(ranks: 2), 80e9, accuracy: 1, "never above one core")
    }

    /// Every mesh and placement of 4 ranks on 2 hosts, ranked by predicted step; equals keep their order.
    func testCandidatesCoverEveryMeshAndPlacementAndRankByTime() {
        let workload = Workload(model: .tiny, localBatchSize: 2, seqLen: 32)
        let placements = Placement.Policy.allCases.map { Placement(slots: [2, 2], policy: $0) }
        let candidates = Plan.candidates(worldSize: 4, workload: workload, placements: placements, timing: model)
        XCTAssertEqual(candidates.map { "\($0.mesh) \($0.placement!)" }, ["4x1 slot", "4x1 node", "2x2 slot", "2x2 node", "1x4 slot", "1x4 node"])
        let ranked = Plan.rankedByTime(candidates)
        XCTAssertEqual(ranked.count, 6)
        XCTAssertEqual(ranked.map { $0.time!.stepSeconds }, ranked.map { $0.time!.stepSeconds }.sorted())
        XCTAssertEqual(Plan.fastest(candidates)?.mesh, ranked.first?.mesh)
        // One host per rank: by node is by slot, and is left out.
        let spread = Plan.candidates(worldSize: 2, workload: workload, placements: [Placement(slots: [1, 1], policy: .slot),
                                                                                   Placement(slots: [1, 1], policy: .node)], timing: model)
        XCTAssertEqual(spread.map { $0.placement }, [.slot, .slot])
    }

    func testFixedDecimals() {
        XCTAssertEqual(TimeTable.fixed(2.34567, decimals: 3), "2.346")
        XCTAssertEqual(TimeTable.fixed(0.0004, decimals: 3), "0.000")
        XCTAssertEqual(TimeTable.fixed(12.06, decimals: 1), "12.1")
        XCTAssertEqual(TimeTable.fixed(1046.4, decimals: 0), "1046")
        XCTAssertEqual(TimeTable.fixed(-0.5, decimals: 2), "-0.50")
    }
}
