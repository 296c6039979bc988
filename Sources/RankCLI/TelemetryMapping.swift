import Foundation
import RunSpec
import Memory
import Metrics
import Parallel
import Telemetry
import Trainer

extension RankStep {
    /// One rank's figures on the wire (host and pid go in `hello`).
    init(_ f: RankFigures) {
        var communication: [String: CollectiveFigures] = [:]
        for kind in CollectiveKind.allCases where f.communication.calls[kind] != nil {
            communication[kind.rawValue] = CollectiveFigures(bytes: f.communication.bytes[kind] ?? 0,
                                                             calls: f.communication.calls[kind] ?? 0,
                                                             waitSeconds: f.communication.waitSeconds[kind] ?? 0)
        }
        self.init(rank: f.rank, tokens: f.tokens,
                  seconds: StepSeconds(total: f.seconds.total, data: f.seconds.data, compute: f.seconds.compute,
                                       communication: f.seconds.communication, optimizer: f.seconds.optimizer,
                                       gemm: f.seconds.gemm),
                  tokensPerSecond: f.throughput.tokensPerSecond, tflops: f.throughput.tflops, mfu: f.throughput.mfu,
                  communication: communication,
                  memory: Dictionary(uniqueKeysWithValues: f.memory.map { ($0.key.rawValue, $0.value) }),
                  residentBytes: f.residentBytes, peakResidentBytes: f.peakResidentBytes,
                  gemmFlops: f.gemmFlops, mfuSplit: f.throughput.split.map(MFUSplitFigures.init), waits: f.waits,
                  loss: f.loss)
    }
}

extension Telemetry.Step {
    /// Rank 0's report of a step (its `ranks` are filled on rank 0 only).
    init(_ r: StepReport) {
        self.init(step: r.step, loss: r.loss, gradNorm: r.gradNorm, lr: r.lr, ranks: r.ranks.map(RankStep.init),
                  peak: r.peakChanged ? r.peak.map(PeakInfo.init) : nil)
    }
}

extension PeakInfo {
    init(_ p: PeakFlops) {
        self.init(flops: p.flops, source: p.source.rawValue, detail: p.detail, measuredAt: p.measuredAt,
                  raisedAtStep: p.raisedAtStep)
    }
}

extension Hello {
    /// `ranks`: every rank's identity, gathered on rank 0 (see below).
    init(trainer: Trainer, arguments: [String], ranks: [RankIdentity]) {
        let c = trainer.config
        let shape = trainer.mesh.shape
        self.init(
            config: RunConfig(steps: c.steps, seqLen: c.seqLen, localBatchSize: c.localBatchSize,
                              globalBatchSize: trainer.globalBatchSize, gradAccum: c.gradAccum,
                              warmupSteps: c.warmupSteps, lr: Double(c.optimizer.lr), maxNorm: c.maxNorm, seed: c.seed,
                              threads: c.threads, dataPath: c.dataPath, tokenizerPath: c.tokenizerPath,
                              arguments: arguments, bucketMB: c.bucketMB, reshardAfterForward: c.reshardAfterForward),
            mesh: MeshLayout(replicate: shape.replicate, shard: shape.shard, strategy: shape.strategy.rawValue.lowercased()),
            model: ModelSummary(flavor: c.flavor, dim: c.model.dim, nLayers: c.model.nLayers, nHeads: c.model.nHeads,
                                nKVHeads: c.model.nKVHeads ?? c.model.nHeads, vocabSize: c.model.vocabSize,
                                parameters: c.model.parameterCount),
            flopsPerToken: trainer.flopsPerToken,
            peak: PeakInfo(trainer.peak),
            ranks: ranks,
            spec: c)
    }
}

/// Collective: every rank's host, pid and physical memory, in rank order on rank 0 (empty elsewhere).
public func gatherIdentities(_ trainer: Trainer) throws -> [RankIdentity] {
    let mine = RankIdentity(rank: trainer.mesh.rank, host: thisHostName, pid: getpid(),
                            hostMemoryBytes: ResidentMemory.physicalBytes())
    let gathered = try trainer.mesh.world.gatherBytes(Array(try JSONEncoder().encode(mine)), root: 0)
    return try gathered?.map { try JSONDecoder().decode(RankIdentity.self, from: Data($0)) } ?? []
}
