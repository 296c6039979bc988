/// The lane's forward: embedding, the blocks, the final norm and the output's loss (and its gradients).
extension DecoderLane {
    /// Mean token cross-entropy over the lane's n tokens (row-major [batchSize, seqLen] from `tokenIDs`
    /// and `targetIDs`); Kernels.workers is set by the caller.
    func forward(inputs tokenIDs: UnsafePointer<Int32>, targets targetIDs: UnsafePointer<Int32>,
                 hooks: StepHooks?) -> Float {
        let V = Int32(vocab)
        for i in 0..<n {
            let a = tokenIDs[i], b = targetIDs[i]
            precondition(a >= 0 && a < V && b >= 0 && b < V, "token id out of range 0..<\(vocab) at \(i)")
            inputs[i] = a; targets[i] = b
        }
        let c = config, d = dim, L = c.nLayers, w = qkvWidth, hid = hidden

        hooks?.willForward(unit: 0)
        Kernels.embeddingForward(out: residual, tokens: inputs, table: params(0), n: n, dim: d)
        hooks?.didForward(unit: 0)

        for l in 0..<L {
            let unit = l + 1
            hooks?.willForward(unit: unit)
            let p = params(unit)
            let x = residual + l * n * d, out = residual + (l + 1) * n * d
            let q = qkv + l * n * w, att = attnOut + l * n * d
            let xa = normed, xb = normed
            Kernels.rmsNormForward(out: xa, rstd: rstd1 + l * n, x: x, weight: p + offsets.attentionNorm,
                                   n: n, dim: d, eps: c.normEps)
            // [q | k | v] = attention_norm(x) [wq; wk; wv]^T (the three weights are adjacent: one GEMM)
            Kernels.gemm(transA: false, transB: true, m: n, n: w, k: d, alpha: 1, a: xa, lda: d,
                         b: p + offsets.wq, ldb: d, beta: 0, c: q, ldc: w)
            Kernels.rope(q, rowStride: w, batch: batchSize, seqLen: seqLen, heads: c.nHeads + c.kvHeads,
                         headDim: c.headDim, table: ropeTable, inverse: false)
            Kernels.attentionForward(out: att, lse: lse + l * batchSize * c.nHeads * seqLen, qkv: q,
                                     batch: batchSize, seqLen: seqLen, heads: c.nHeads, kvHeads: c.kvHeads,
                                     headDim: c.headDim, scratch: attentionScratch, blockRows: attentionBlockRows,
                                     probabilities: attentionProbabilities.map { $0 + l * attentionProbabilityCount },
                                     rowScale: attentionRowScale.map { $0 + l * batchSize * c.nHeads * seqLen })
            hooks?.progress()
            // h = x + attention wo^T, built in the output slot (the backward rebuilds it the same way)
            out.update(from: x, count: n * d)
            Kernels.gemm(transA: false, transB: true, m: n, n: d, k: d, alpha: 1, a: att, lda: d,
                         b: p + offsets.wo, ldb: d, beta: 1, c: out, ldc: d)
            hooks?.progress()
            Kernels.rmsNormForward(out: xb, rstd: rstd2 + l * n, x: out, weight: p + offsets.ffnNorm,
                                   n: n, dim: d, eps: c.normEps)
            let (h1l, h3l) = feedForwardOutputs(l)
            Kernels.feedForwardForward(out: out, accumulate: true, h1: h1l, h3: h3l,
                                       g: dHiddenA, x: xb, w1: p + offsets.w1, w2: p + offsets.w2,
                                       w3: p + offsets.w3, n: n, dim: d, hidden: hid)
            hooks?.progress()
            hooks?.didForward(unit: unit)
        }

        let last = L + 1
        hooks?.willForward(unit: last)
        let pf = params(last)
        Kernels.rmsNormForward(out: normed, rstd: rstdFinal, x: residual + L * n * d, weight: pf,
                               n: n, dim: d, eps: c.normEps)
        let loss = Kernels.outputForward(x: normed, weight: pf + d, targets: targets, n: n, dim: d, vocab: vocab,
                                         dx: outputDx, dWeight: outputDWeight, tokenLoss: tokenLoss,
                                         logits: dHiddenA, chunkRows: outputChunkRows)
        hooks?.didForward(unit: last)
        hasForward = true
        return loss
    }
}
