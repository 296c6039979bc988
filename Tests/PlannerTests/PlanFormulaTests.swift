import Memory
import Mesh
import Model
import Parallel
import Planner
import XCTest

/// The planner against figures worked out by hand for the tiny flavor (dim 64, 2 layers, 4 heads,
/// 2 KV heads, vocab 2000, hidden 192) at local batch 2 x seq_len 32 (n = 64 tokens).
/// Units: embedding 2000*64 = 128,000; each layer 2*64*64 + 2*32*64 + 3*64*192 + 2*64 = 49,280;
/// norm + output 64 + 128,000 = 128,064. Total 354,624 parameters.
final class PlanFormulaTests: XCTestCase {
    let tiny = Workload(model: .tiny, localBatchSize: 2, seqLen: 32, gradAccum: 1, bucketMB: 0.5)
    static let total = 354_624

    func mesh(_ r: Int, _ s: Int) -> MeshShape { try! MeshShape(replicate: r, shard: s) }

    func testActivationsAndScratchByHand() {
        // residual 3*64*64 + rstd 2*64 + qkv 2*64*128 + attention 2*64*64 + lse 2*2*4*32 + rstd 2*64
        // + w1,w3 2*2*64*192 + final rstd 64 + output d_x 64*64 + d_weight 2000*64 + token loss 64
        let floats = 12_288 + 128 + 16_384 + 8_192 + 512 + 128 + 49_152 + 64 + 4_096 + 128_000 + 64
        XCTAssertEqual(MemoryPrediction.activations(tiny), 4 * floats + 4 * 4 * 64)  // + 4 id buffers of Int32
        // d_residual, normed, h 3*64*64; logits chunk 64 rows x 2000 (> 64*192);
        // attention 8 workers x the larger of the BLAS path's 2688 (32-row blocks: 2*32*32 + 32 + 32*16
        // + 32 + 64) and the AVX2 path's 2864 (CKernels' packed head buffers 3*16*32 + 2*32*16, 4-row
        // blocks 2*4*32, 32 + 16), rounded up to 16; rope 32*16
        XCTAssertEqual(MemoryPrediction.scratch(tiny), 4 * (12_288 + 128_000 + 8 * 2_864 + 512))
    }

    func testReplicateHoldsTheWholeModelAndAReduceTarget() {
        let one = MemoryPrediction.ledger(tiny, mesh: mesh(1, 1))
        let two = MemoryPrediction.ledger(tiny, mesh: mesh(2, 1))
        for ledger in [one, two] {
            XCTAssertEqual(ledger[.parameters], 4 * Self.total)
            XCTAssertEqual(ledger[.gradients], 4 * Self.total)
            XCTAssertEqual(ledger[.optimizer], 8 * Self.total)
            XCTAssertEqual(ledger[.gatheredParameters], 0)
        }
        XCTAssertEqual(one[.communication], 0, "a world of one all-reduces nothing")
        XCTAssertEqual(two[.communication], 4 * Self.total)
    }

    func testFullyShardPadsEachUnitAndKeepsTwoGatheredSlots() {
        // S = 3: 128,000 -> 128,001; 49,280 -> 49,281; 128,064 stays. Padded 354,627, shard 118,209.
        let ledger = MemoryPrediction.ledger(tiny, mesh: mesh(1, 3))
        XCTAssertEqual(ledger[.parameters], 4 * 118_209)
        XCTAssertEqual(ledger[.gradients], 4 * 118_209)
        XCTAssertEqual(ledger[.optimizer], 8 * 118_209)
        XCTAssertEqual(ledger[.gatheredParameters], 4 * 2 * 128_064)
        XCTAssertEqual(ledger[.communication], 4 * (128_064 + 128_064 / 3))  // a unit's gradient + its shard
        var kept = tiny
        kept.reshardAfterForward = false
        XCTAssertEqual(MemoryPrediction.ledger(kept, mesh: mesh(1, 3))[.gatheredParameters], 4 * 354_627)
        // HSDP holds what FSDP over its shard group holds, and the replicas' all-reduce target for the shards.
        var hsdp = MemoryPrediction.ledger(tiny, mesh: mesh(2, 3))
        XCTAssertEqual(hsdp[.communication], 4 * (128_064 + 128_064 / 3 + 118_209))
        hsdp[.communication] = ledger[.communication]
        XCTAssertEqual(hsdp, ledger)
    }

    func testReplicateSendsItsBucketsOnce() {
        // 0.5 MiB buckets from the last unit: (128,064 + 49,280) * 4 = 709,376 B, then (49,280 + 128,000) * 4 = 709,120 B.
        let two = CommunicationPrediction.perStep(tiny, mesh: mesh(2, 1))
        XCTAssertEqual(two.calls, [.allReduce: 2])
        XCTAssertEqual(two.bytes, [.allReduce: 709_376 + 709_120])  // 2(n-1)/n = 1 at n = 2
        let four = CommunicationPrediction.perStep(tiny, mesh: mesh(4, 1))
        XCTAssertEqual(four.bytes, [.allReduce: 6 * 709_376 / 4 + 6 * 709_120 / 4])
        var accumulating = tiny
        accumulating.gradAccum = 3
        XCTAssertEqual(CommunicationPrediction.perStep(accumulating, mesh: mesh(4, 1)), four, "no_sync until the last micro-batch")
        XCTAssertEqual(CommunicationPrediction.perStep(tiny, mesh: mesh(1, 1)).totalBytes, 0)
    }

    func testFullyShardGathersAgainOnlyWhatItDropped() {
        // Forward gathers units 0, 1, 2, 3; the backward finds 3 and 2 still there and gathers 1 and 0 again.
        let fsdp = CommunicationPrediction.perStep(tiny, mesh: mesh(1, 2))
        XCTAssertEqual(fsdp.calls, [.allGather: 6, .reduceScatter: 4])
        XCTAssertEqual(fsdp.bytes[.allGather], 4 * (128_000 + 49_280 + 49_280 + 128_064 + 49_280 + 128_000) / 2)
        XCTAssertEqual(fsdp.bytes[.reduceScatter], 4 * Self.total / 2)
        // A second micro-batch starts with units 0 and 1 in the slots: it gathers 2, 3, then 1, 0.
        var accumulating = tiny
        accumulating.gradAccum = 2
        let two = CommunicationPrediction.perStep(accumulating, mesh: mesh(1, 2))
        XCTAssertEqual(two.calls, [.allGather: 10, .reduceScatter: 8])
        // Without resharding each unit is gathered once per step.
        var kept = accumulating
        kept.reshardAfterForward = false
        XCTAssertEqual(CommunicationPrediction.perStep(kept, mesh: mesh(1, 2)).bytes[.allGather], 4 * Self.total / 2)
        // HSDP adds one all-reduce of the gradient shard (177,312 floats) over the replicas.
        let hsdp = CommunicationPrediction.perStep(tiny, mesh: mesh(2, 2))
        XCTAssertEqual(hsdp.bytes[.allReduce], 4 * 177_312)
        XCTAssertEqual(hsdp.bytes[.allGather], fsdp.bytes[.allGather])
    }

    func testCandidatesAndMarks() throws {
        let candidates = Plan.candidates(worldSize: 4, workload: tiny, runtimeBytes: 1000)
        XCTAssertEqual(candidates.map(\.mesh.description), ["4x1", "2x2", "1x4"])
        for c in candidates { XCTAssertEqual(c.residentBytes, c.ledgerBytes + 1000) }
        XCTAssertEqual(Plan.bestForMemory(candidates)?.mesh.description, "1x4")
        // Replicate sends 2(n-1)/n of the model; FSDP more: (n-1)/n gathered, again in part, and reduce-scattered.
        XCTAssertEqual(Plan.leastCommunication(candidates)?.mesh.description, "4x1")
        XCTAssertEqual(Plan.runtimeBytes(residentBytes: 5000, ledgerBytes: 3000), 2000)
        XCTAssertTrue(Plan.candidates(worldSize: 0, workload: tiny).isEmpty)
    }

    func testInvalidWorkloadsNameTheOption() {
        var bad = tiny
        bad.seqLen = 257
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("--seq-len 257"), "\($0)") }
        bad = tiny
        bad.localBatchSize = 0
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("--local-batch-size 0"), "\($0)") }
        XCTAssertNoThrow(try tiny.validate())
    }
}

/// The names the telemetry stream and the metrics file use.
final class PlanNamingTests: XCTestCase {
    func testFiguresByTelemetryName() throws {
        let workload = Workload(model: .tiny, localBatchSize: 2, seqLen: 32)
        let fsdp = Plan.predict(mesh: try MeshShape(replicate: 1, shard: 2), workload: workload)
        XCTAssertEqual(Set(fsdp.memoryByName.keys), ["parameters", "gathered_parameters", "gradients", "optimizer",
                                                     "activations", "communication", "scratch"])
        XCTAssertEqual(fsdp.memoryByName["gathered_parameters"], fsdp.bytes(.gatheredParameters))
        XCTAssertEqual(Set(fsdp.bytesSentByName.keys), ["all_gather", "reduce_scatter"])
        XCTAssertEqual(fsdp.bytesSentByName["reduce_scatter"], fsdp.bytes(.reduceScatter))
    }
}
