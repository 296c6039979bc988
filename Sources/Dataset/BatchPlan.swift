/// The batch contract: which tokens every rank reads at every step (see docs/data.md).
///
/// D = R x S (the world size) data-parallel ranks; rank d's data-parallel index is its global rank.
/// B = local batch, A = gradient accumulation steps, T = seq_len, G = B x A x D sequences per step.
/// Sequence i of 0-based step n has inputs `tokens[o ..< o+T]` and labels `tokens[o+1 ..< o+T+1]`
/// with `o = ((n*G + i) * T) mod (count - T - 1)`. Micro-batch k (0..<A) of rank d takes the
/// sequences `(d*A + k)*B ..< (d*A + k + 1)*B`. So the data of a step depends only on G, never on
/// how G is split over ranks and micro-batches.
public struct BatchPlan: Equatable, Sendable {
    public let tokenCount: Int
    public let seqLen: Int
    public let localBatch: Int
    public let gradAccum: Int
    public let dataParallelDegree: Int

    /// G = B x A x D.
    public var sequencesPerStep: Int { localBatch * gradAccum * dataParallelDegree }
    /// B x T: the ids `fill` writes to each of inputs and targets.
    public var tokensPerMicroBatch: Int { localBatch * seqLen }
    /// count - T - 1: the number of distinct sequence starts.
    public var offsetModulus: Int { tokenCount - seqLen - 1 }

    public init(tokenCount: Int, seqLen: Int, localBatch: Int, gradAccum: Int, dataParallelDegree: Int) throws {
        guard seqLen >= 1 else { throw DatasetError("seq_len must be at least 1, got \(seqLen)") }
        guard localBatch >= 1 else { throw DatasetError("the local batch must be at least 1, got \(localBatch)") }
        guard gradAccum >= 1 else { throw DatasetError("gradient accumulation steps must be at least 1, got \(gradAccum)") }
        guard dataParallelDegree >= 1 else { throw DatasetError("the data-parallel degree must be at least 1, got \(dataParallelDegree)") }
        guard tokenCount > seqLen + 1 else {
            throw DatasetError("the data has \(tokenCount) tokens; seq_len \(seqLen) needs at least \(seqLen + 2)")
        }
        let (_, overflow) = localBatch.multipliedReportingOverflow(by: gradAccum * dataParallelDegree * seqLen)
        guard !overflow else { throw DatasetError("B x A x D x T overflows") }
        self.tokenCount = tokenCount
        self.seqLen = seqLen
        self.localBatch = localBatch
        self.gradAccum = gradAccum
        self.dataParallelDegree = dataParallelDegree
    }

    /// o = ((n*G + i) * T) mod (count - T - 1), computed exactly (full-width product) for any step.
    public func offset(step: Int, sequence: Int) -> Int {
        precondition(step >= 0 && sequence >= 0, "step and sequence must be non-negative")
        let m = offsetModulus
        // ((n*G mod m + i) mod m) * T mod m, each product in full width so nothing overflows.
        let nG = Self.mulMod(step, sequencesPerStep, m)
        let index = (nG + sequence % m) % m
        return Self.mulMod(index, seqLen, m)
    }

    /// The global sequence indices (within the step) of rank d's micro-batch k.
    public func sequences(rank: Int, microBatch: Int) -> Range<Int> {
        precondition(rank >= 0 && rank < dataParallelDegree, "rank \(rank) outside 0..<\(dataParallelDegree)")
        precondition(microBatch >= 0 && microBatch < gradAccum, "micro-batch \(microBatch) outside 0..<\(gradAccum)")
        let first = (rank * gradAccum + microBatch) * localBatch
        return first ..< first + localBatch
    }

    /// Writes rank d's micro-batch k of step n: B rows of T ids each, row-major, inputs and targets
    /// (targets are the inputs shifted by one token). Allocates nothing.
    public func fill(step: Int, rank: Int, microBatch: Int, tokens: UnsafeBufferPointer<Int32>,
                     inputs: UnsafeMutableBufferPointer<Int32>, targets: UnsafeMutableBufferPointer<Int32>) {
        precondition(tokens.count == tokenCount, "the plan is for \(tokenCount) tokens, got \(tokens.count)")
        precondition(inputs.count >= tokensPerMicroBatch && targets.count >= tokensPerMicroBatch,
                     "inputs and targets need \(tokensPerMicroBatch) ids each")
        let t = seqLen
        for (row, sequence) in sequences(rank: rank, microBatch: microBatch).enumerated() {
            let o = offset(step: step, sequence: sequence)
            let destination = row * t
            for j in 0..<t {
                inputs[destination + j] = tokens[o + j]
                targets[destination + j] = tokens[o + j + 1]
            }
        }
    }

    /// (a * b) mod m for non-negative a, b and positive m, without overflow.
    @inline(__always)
    static func mulMod(_ a: Int, _ b: Int, _ m: Int) -> Int {
        let product = UInt(a).multipliedFullWidth(by: UInt(b))
        let um = UInt(m)
        // Reduce the high word first so the division's quotient fits.
        let high = product.high % um
        return Int(um.dividingFullWidth((high, product.low)).remainder)
    }
}
