import ModelShape

/// One rank's training state as a checkpoint sees it: its parameters and AdamW moments (same
/// local layout) and where their elements sit in the full layout (`DataParallel.pieces`).
public struct LocalState {
    public let params: UnsafeMutableBufferPointer<Float>
    public let expAvg: UnsafeMutableBufferPointer<Float>
    public let expAvgSq: UnsafeMutableBufferPointer<Float>
    public let pieces: [CanonicalPiece]

    public init(params: UnsafeMutableBufferPointer<Float>, expAvg: UnsafeMutableBufferPointer<Float>,
                expAvgSq: UnsafeMutableBufferPointer<Float>, pieces: [CanonicalPiece]) {
        precondition(params.count == expAvg.count && params.count == expAvgSq.count)
        self.params = params
        self.expAvg = expAvg
        self.expAvgSq = expAvgSq
        self.pieces = pieces
    }

    public func buffer(_ vector: CheckpointVector) -> UnsafeMutableBufferPointer<Float> {
        switch vector {
        case .params: return params
        case .expAvg: return expAvg
        case .expAvgSq: return expAvgSq
        }
    }
}
