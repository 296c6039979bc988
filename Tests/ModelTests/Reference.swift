import Foundation
import Model
import ModelShape
import RunSpec

/// A straightforward double-precision re-implementation of every layer's forward (and of the whole model),
/// written independently of the float32 kernels. The gradient checks take central finite differences of
/// these in Double (step 1e-4 on O(0.01..1) values: truncation and rounding errors far below 1e-6 relative),
/// so the only approximation error on the analytic side is float32 rounding of the kernels under test.
enum Ref {
    /// out[i] = table[tokens[i]]
    static func embedding(table: [Double], tokens: [Int32], dim: Int) -> [Double] {
        var out = [Double](repeating: 0, count: tokens.count * dim)
        for (i, t) in tokens.enumerated() { for c in 0..<dim { out[i * dim + c] = table[Int(t) * dim + c] } }
        return out
    }

    static func rmsNorm(_ x: [Double], weight: [Double], dim: Int, eps: Double) -> [Double] {
        let n = x.count / dim
        var out = x
        for i in 0..<n {
            var ss = 0.0
            for c in 0..<dim { ss += x[i * dim + c] * x[i * dim + c] }
            let r = 1 / (ss / Double(dim) + eps).squareRoot()
            for c in 0..<dim { out[i * dim + c] = x[i * dim + c] * r * weight[c] }
        }
        return out
    }

    /// x W^T, W [outDim, inDim]
    static func linear(_ x: [Double], _ w: [Double], inDim: Int, outDim: Int) -> [Double] {
        let n = x.count / inDim
        var out = [Double](repeating: 0, count: n * outDim)
        for i in 0..<n {
            for o in 0..<outDim {
                var s = 0.0
                for k in 0..<inDim { s += x[i * inDim + k] * w[o * inDim + k] }
                out[i * outDim + o] = s
            }
        }
        return out
    }

    /// Rotates pairs (2k, 2k+1) of each of `heads` heads in every row by t * theta^(-2k/headDim).
    static func rope(_ x: inout [Double], rowStride: Int, batch: Int, seqLen: Int, heads: Int, headDim: Int, theta: Double) {
        for b in 0..<batch {
            for t in 0..<seqLen {
                for h in 0..<heads {
                    for k in 0..<(headDim / 2) {
                        let angle = Double(t) * pow(theta, -Double(2 * k) / Double(headDim))
                        let i = (b * seqLen + t) * rowStride + h * headDim + 2 * k
                        let a = x[i], c = x[i + 1]
                        x[i] = a * cos(angle) - c * sin(angle)
                        x[i + 1] = a * sin(angle) + c * cos(angle)
                    }
                }
            }
        }
    }

    /// qkv rows [q (heads*hd) | k (kvHeads*hd) | v (kvHeads*hd)], before RoPE. Causal softmax attention with
    /// scale 1/sqrt(hd); query head h uses kv head h / (heads / kvHeads). Returns [n, heads*hd].
    static func attention(qkv input: [Double], batch: Int, seqLen T: Int, heads: Int, kvHeads: Int, headDim hd: Int,
                          theta: Double) -> [Double] {
        let C = heads * hd, KV = kvHeads * hd, W = C + 2 * KV
        var qkv = input
        rope(&qkv, rowStride: W, batch: batch, seqLen: T, heads: heads + kvHeads, headDim: hd, theta: theta)
        var out = [Double](repeating: 0, count: batch * T * C)
        let scale = 1 / Double(hd).squareRoot()
        for b in 0..<batch {
            for h in 0..<heads {
                let kvh = h / (heads / kvHeads)
                for i in 0..<T {
                    var scores = [Double](repeating: 0, count: i + 1)
                    for j in 0...i {
                        var s = 0.0
                        for d in 0..<hd { s += qkv[(b * T + i) * W + h * hd + d] * qkv[(b * T + j) * W + C + kvh * hd + d] }
                        scores[j] = s * scale
                    }
                    let m = scores.max()!
                    var z = 0.0
                    for j in 0...i { scores[j] = exp(scores[j] - m); z += scores[j] }
                    for d in 0..<hd {
                        var s = 0.0
                        for j in 0...i { s += scores[j] / z * qkv[(b * T + j) * W + C + KV + kvh * hd + d] }
                        out[(b * T + i) * C + h * hd + d] = s
                    }
                }
            }
        }
        return out
    }

    /// w2(silu(w1 x) * w3 x)
    static func feedForward(_ x: [Double], w1: [Double], w2: [Double], w3: [Double], dim: Int, hidden: Int) -> [Double] {
        let a = linear(x, w1, inDim: dim, outDim: hidden), b = linear(x, w3, inDim: dim, outDim: hidden)
        var g = a
        for i in 0..<g.count { g[i] = a[i] / (1 + exp(-a[i])) * b[i] }
        return linear(g, w2, inDim: hidden, outDim: dim)
    }

    /// mean over rows of -log softmax(x W^T)[target]
    static func outputCrossEntropy(_ x: [Double], weight: [Double], targets: [Int32], dim: Int, vocab: Int) -> Double {
        let logits = linear(x, weight, inDim: dim, outDim: vocab)
        var total = 0.0
        for i in 0..<targets.count {
            let row = logits[(i * vocab)..<((i + 1) * vocab)]
            let m = row.max()!
            let z = row.reduce(0.0) { $0 + exp($1 - m) }
            total += log(z) + m - logits[i * vocab + Int(targets[i])]
        }
        return total / Double(targets.count)
    }

    /// The whole model's mean loss, reading tensors by their torchtitan names.
    static func loss(parameters p: [Double], config c: ModelConfig, layout: ParameterLayout,
                     inputs: [Int32], targets: [Int32], batch: Int, seqLen: Int) -> Double {
        func t(_ name: String) -> [Double] {
            let tensor = layout.tensor(named: name)!
            return Array(p[tensor.offset..<(tensor.offset + tensor.count)])
        }
        let d = c.dim, kv = c.kvDim, eps = Double(c.normEps)
        var x = embedding(table: t("tok_embeddings.weight"), tokens: inputs, dim: d)
        let n = inputs.count
        for l in 0..<c.nLayers {
            let pre = "layers.\(l)."
            let xn = rmsNorm(x, weight: t(pre + "attention_norm.weight"), dim: d, eps: eps)
            let q = linear(xn, t(pre + "attention.wq.weight"), inDim: d, outDim: d)
            let k = linear(xn, t(pre + "attention.wk.weight"), inDim: d, outDim: kv)
            let v = linear(xn, t(pre + "attention.wv.weight"), inDim: d, outDim: kv)
            var qkv = [Double]()
            qkv.reserveCapacity(n * (d + 2 * kv))
            for i in 0..<n {
                qkv += q[(i * d)..<((i + 1) * d)]; qkv += k[(i * kv)..<((i + 1) * kv)]; qkv += v[(i * kv)..<((i + 1) * kv)]
            }
            let att = attention(qkv: qkv, batch: batch, seqLen: seqLen, heads: c.nHeads, kvHeads: c.kvHeads,
                                headDim: c.headDim, theta: c.ropeTheta)
            let o = linear(att, t(pre + "attention.wo.weight"), inDim: d, outDim: d)
            let h = zip(x, o).map { $0 + $1 }
            let hn = rmsNorm(h, weight: t(pre + "ffn_norm.weight"), dim: d, eps: eps)
            let f = feedForward(hn, w1: t(pre + "feed_forward.w1.weight"), w2: t(pre + "feed_forward.w2.weight"),
                                w3: t(pre + "feed_forward.w3.weight"), dim: d, hidden: c.ffnHidden)
            x = zip(h, f).map { $0 + $1 }
        }
        let xn = rmsNorm(x, weight: t("norm.weight"), dim: d, eps: eps)
        return outputCrossEntropy(xn, weight: t("output.weight"), targets: targets, dim: d, vocab: c.vocabSize)
    }

    /// Central difference of f at x along coordinate j, in Double.
    static func finiteDifference(_ x: [Double], _ j: Int, step h: Double = 1e-4, _ f: ([Double]) -> Double) -> Double {
        var a = x, b = x
        a[j] += h; b[j] -= h
        return (f(a) - f(b)) / (2 * h)
    }

    /// sum(out * r): the scalar whose gradient w.r.t. out is r.
    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
}

/// Deterministic test data.
struct TestRandom {
    var rng: SplitMix64
    init(_ seed: UInt64) { rng = SplitMix64(seed: seed) }
    mutating func uniform() -> Float { Float(rng.nextUnit() * 2 - 1) }
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in uniform() * scale } }
    mutating func int(_ bound: Int) -> Int { Int(rng.next() % UInt64(bound)) }
    mutating func tokens(_ n: Int, vocab: Int) -> [Int32] { (0..<n).map { _ in Int32(int(vocab)) } }
}

extension Array where Element == Float {
    var doubles: [Double] { map(Double.init) }
}
