/// The messages one collective call sends, round by round, over one group: the same patterns
/// InterHostPrediction counts bytes with (Open MPI 4.1's, as measured on test hosts), with the
/// order in which their messages go. A round's messages travel at once; a round starts when
/// the one before it has ended (each depends on what the last delivered).
public struct Transfer: Equatable, Sendable {
    /// Positions in the group (not world ranks).
    public let from: Int
    public let to: Int
    public let bytes: Int

    public init(from: Int, to: Int, bytes: Int) { self.from = from; self.to = to; self.bytes = bytes }
}

public enum CallRounds {
    /// The rounds of `call` over a group of `call.ranks` members.
    public static func rounds(_ call: CollectiveCall) -> [[Transfer]] {
        let p = call.ranks, buffer = call.bufferBytes
        guard p > 1 else { return [] }
        switch (call.kind, call.blocking) {
        case (.allReduce, false):
            // libnbc's binomial all-reduce: reduce to 0 over distances 1, 2, 4, ... (a member sends
            // to the one its lowest set bit away), then broadcast back down the same edges.
            let levels = (0 ..< p).prefix { 1 << $0 < p }  // distances 1, 2, 4, ... below p
            let reduce = levels.map { level in
                (0 ..< p).filter { $0 & -$0 == 1 << level }.map { Transfer(from: $0, to: $0 - (1 << level), bytes: buffer) }
            }
            let broadcast = reduce.reversed().map { round in round.map { Transfer(from: $0.to, to: $0.from, bytes: buffer) } }
            return reduce + broadcast
        case (.allReduce, true):
            // Recursive doubling: whole buffers exchanged with r xor 1, r xor 2, ...
            return exchange(p) { _ in buffer }
        case (.allGather, _):
            // libnbc's linear all-gather: every member sends its block to every other at once.
            return [(0 ..< p).flatMap { a in (0 ..< p).filter { $0 != a }.map { Transfer(from: a, to: $0, bytes: buffer / p) } }]
        case (.reduceScatter, _):
            // Recursive halving: half the buffer to r xor 1, then a quarter to r xor 2, ...
            return exchange(p) { round in buffer >> (round + 1) }
        }
    }

    /// Partners r xor 1, then r xor 2, ...: `bytes(round)` each way, members without a partner
    /// that round (a group of other than a power of two) sitting it out.
    static func exchange(_ p: Int, bytes: (_ round: Int) -> Int) -> [[Transfer]] {
        var rounds: [[Transfer]] = []
        var round = 0
        while 1 << round < p {
            let distance = 1 << round
            rounds.append((0 ..< p).filter { ($0 ^ distance) < p }.map { Transfer(from: $0, to: $0 ^ distance, bytes: bytes(round)) })
            round += 1
        }
        return rounds
    }
}
