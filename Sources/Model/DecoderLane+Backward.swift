/// The lane's backward, units from last to first, adding into the bound gradients.
extension DecoderLane {
    /// Gradients of (lossScale * the last forward's loss), added into the bound gradient buffers.
    /// Once per forward: it overwrites each layer's h1 and h3 (with dh3 and dh1) when done with them.
    func backward(lossScale: Float, hooks: StepHooks?) {
        precondition(hasForward, "backward before forward (or twice after one)")
        hasForward = false
        let c = config, d = dim, L = c.nLayers, w = qkvWidth, hid = hidden

        let last = L + 1
        hooks?.willBackward(unit: last)
        let pf = params(last), gf = grads(last)
        let dNormed = normed
        Kernels.outputBackward(dx: dNormed, dWeight: gf + d, savedDx: outputDx, savedDWeight: outputDWeight,
                               n: n, dim: d, vocab: vocab, lossScale: lossScale)
        Kernels.rmsNormBackward(dx: dResidual, accumulate: false, dWeight: gf, dOut: dNormed,
                                x: residual + L * n * d, rstd: rstdFinal, weight: pf, n: n, dim: d)
        hooks?.didBackward(unit: last)

        for l in stride(from: L - 1, through: 0, by: -1) {
            let unit = l + 1
            hooks?.willBackward(unit: unit)
            let p = params(unit), g = grads(unit)
            let x = residual + l * n * d
            let q = qkv + l * n * w, att = attnOut + l * n * d, hm = hScratch
            let (h1l, h3l) = feedForwardOutputs(l)
            // feed-forward: dResidual holds d(out) = d(hm + ffn(ffn_norm(hm)))
            // recompute h and ffn_norm(h); the FFN's backward recomputes silu(h1) * h3 as it goes
            hm.update(from: x, count: n * d)
            Kernels.gemm(transA: false, transB: true, m: n, n: d, k: d, alpha: 1, a: att, lda: d,
                         b: p + offsets.wo, ldb: d, beta: 1, c: hm, ldc: d)
            Kernels.rmsNormApply(out: normed, x: hm, rstd: rstd2 + l * n, weight: p + offsets.ffnNorm, n: n, dim: d)
            if recomputesFeedForward {
                // the forward's own products of the same inputs: bit-identical to keeping them
                Kernels.gemm(transA: false, transB: true, m: n, n: hid, k: d, alpha: 1, a: normed, lda: d,
                             b: p + offsets.w1, ldb: d, beta: 0, c: h1l, ldc: hid)
                Kernels.gemm(transA: false, transB: true, m: n, n: hid, k: d, alpha: 1, a: normed, lda: d,
                             b: p + offsets.w3, ldb: d, beta: 0, c: h3l, ldc: hid)
            }
            Kernels.feedForwardBackward(dx: normed, dW1: g + offsets.w1, dW2: g + offsets.w2, dW3: g + offsets.w3,
                                        dOut: dResidual, x: normed, h1: h1l, h3: h3l,
                                        w1: p + offsets.w1, w2: p + offsets.w2,
                                        w3: p + offsets.w3, n: n, dim: d, hidden: hid, scratch: dHiddenA)
            hooks?.progress()
            Kernels.rmsNormBackward(dx: dResidual, accumulate: true, dWeight: g + offsets.ffnNorm, dOut: dNormed,
                                    x: hm, rstd: rstd2 + l * n, weight: p + offsets.ffnNorm, n: n, dim: d)
            // attention: dResidual holds d(hm) = d(x + wo(attention(attention_norm(x))))
            Kernels.gemm(transA: true, transB: false, m: d, n: d, k: n, alpha: 1, a: dResidual, lda: d,
                         b: att, ldb: d, beta: 1, c: g + offsets.wo, ldc: d)
            Kernels.gemm(transA: false, transB: false, m: n, n: d, k: d, alpha: 1, a: dResidual, lda: d,
                         b: p + offsets.wo, ldb: d, beta: 0, c: dAttnOut, ldc: d)
            hooks?.progress()
            Kernels.attentionBackward(dqkv: dQKV, dOut: dAttnOut, out: att,
                                      lse: lse + l * batchSize * c.nHeads * seqLen, qkv: q,
                                      batch: batchSize, seqLen: seqLen, heads: c.nHeads, kvHeads: c.kvHeads,
                                      headDim: c.headDim, scratch: attentionScratch, blockRows: attentionBlockRows,
                                     probabilities: attentionProbabilities.map { $0 + l * attentionProbabilityCount },
                                     rowScale: attentionRowScale.map { $0 + l * batchSize * c.nHeads * seqLen })
            hooks?.progress()
            Kernels.rope(dQKV, rowStride: w, batch: batchSize, seqLen: seqLen, heads: c.nHeads + c.kvHeads,
                         headDim: c.headDim, table: ropeTable, inverse: true)
            Kernels.rmsNormApply(out: normed, x: x, rstd: rstd1 + l * n, weight: p + offsets.attentionNorm,
                                 n: n, dim: d)
            let xa = normed
            Kernels.gemm(transA: true, transB: false, m: w, n: d, k: n, alpha: 1, a: dQKV, lda: w,
                         b: xa, ldb: d, beta: 1, c: g + offsets.wq, ldc: d)
            Kernels.gemm(transA: false, transB: false, m: n, n: d, k: w, alpha: 1, a: dQKV, lda: w,
                         b: p + offsets.wq, ldb: d, beta: 0, c: dNormed, ldc: d)
            Kernels.rmsNormBackward(dx: dResidual, accumulate: true, dWeight: g + offsets.attentionNorm,
                                    dOut: dNormed, x: x, rstd: rstd1 + l * n, weight: p + offsets.attentionNorm,
                                    n: n, dim: d)
            hooks?.didBackward(unit: unit)
        }

        hooks?.willBackward(unit: 0)
        Kernels.embeddingBackward(dTable: grads(0), dOut: dResidual, tokens: inputs, n: n, dim: d)
        hooks?.didBackward(unit: 0)
    }
}
