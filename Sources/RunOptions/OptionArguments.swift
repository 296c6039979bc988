import Foundation

// The option groups written back as the argument list meshtop-rank parses: `meshtop run` and
// `meshtop-rank` declare the same groups (one definition of every option), and the launcher
// passes them through. Only options that differ from their defaults are written, so the list
// stays short and readable.

extension ModelOptions {
    public var arguments: [String] {
        var a: [String] = []
        if flavor != "debugmodel" { a += ["--flavor", flavor] }
        if let dim { a += ["--dim", String(dim)] }
        if let nLayers { a += ["--n-layers", String(nLayers)] }
        if let nHeads { a += ["--n-heads", String(nHeads)] }
        if let nKVHeads { a += ["--n-kv-heads", String(nKVHeads)] }
        if let vocabSize { a += ["--vocab-size", String(vocabSize)] }
        return a
    }
}

extension TrainingOptions {
    public var arguments: [String] {
        let d = try! TrainingOptions.parse([])  // the defaults (a bare init() holds no values)
        var a: [String] = []
        func add<T: Equatable>(_ name: String, _ value: T, _ fallback: T) {
            if value != fallback { a += [name, "\(value)"] }
        }
        func add(_ name: String, _ value: String?) { if let value { a += [name, value] } }
        add("--seq-len", seqLen, d.seqLen)
        add("--local-batch-size", localBatchSize, d.localBatchSize)
        add("--grad-accum", gradAccum, d.gradAccum)
        add("--steps", steps, d.steps)
        add("--seed", seed, d.seed)
        add("--lr", lr, d.lr)
        add("--warmup-steps", warmupSteps, d.warmupSteps)
        add("--decay-ratio", decayRatio, d.decayRatio)
        add("--min-lr-factor", minLRFactor, d.minLRFactor)
        add("--max-norm", maxNorm, d.maxNorm)
        add("--weight-decay", weightDecay, d.weightDecay)
        add("--data", data)
        add("--tokenizer", tokenizer)
        add("--dump-folder", dumpFolder, d.dumpFolder)
        add("--init-weights", initWeights)
        add("--save-weights", saveWeights)
        add("--threads", threads, d.threads)
        add("--log-freq", logFreq, d.logFreq)
        add("--bucket-mb", bucketMB, d.bucketMB)
        if noReshardAfterForward { a.append("--no-reshard-after-forward") }
        add("--peak-tflops", peakTFLOPS.map { "\($0)" })
        return a
    }
}

extension CheckpointOptions {
    public var arguments: [String] {
        var a: [String] = []
        if let checkpointDir { a += ["--checkpoint-dir", checkpointDir] }
        if checkpointEvery != 0 { a += ["--checkpoint-every", String(checkpointEvery)] }
        if let keepCheckpoints { a += ["--keep-checkpoints", String(keepCheckpoints)] }
        if resume { a.append("--resume") }
        if let resumeStep { a += ["--resume-step", String(resumeStep)] }
        if resumeLatestValid { a.append("--resume-latest-valid") }
        return a
    }
}
