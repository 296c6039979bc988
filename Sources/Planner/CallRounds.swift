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
            return rabenseifner(p, buffer: buffer)
        case (.allGather, _):
            // libnbc's linear all-gather: every member sends its block to every other at once.
            return [(0 ..< p).flatMap { a in (0 ..< p).filter { $0 != a }.map { Transfer(from: a, to: $0, bytes: buffer / p) } }]
        case (.reduceScatter, _):
            // Recursive halving: half the buffer to r xor 1, then a quarter to r xor 2, ...
            return exchange(p) { round in buffer >> (round + 1) }
        }
    }

    /// The tuned component's all-reduce for large buffers (Open MPI 4.1's fixed decision picks
    /// Rabenseifner's for a commutative sum of 256 KiB and more on 2-3 ranks, 8 KiB on 4-7):
    /// reduce-scatter by recursive halving (half the buffer to r xor 1, a quarter to r xor 2,
    /// ...), then all-gather back by recursive doubling, the same exchanges reversed. With a
    /// group of other than a power of two, the first 2 x (p - 2^k) members pair up first: each
    /// even one hands its whole buffer to the odd one after it, which takes its place, and gets
    /// the result back at the end. For 2 ranks: half the buffer each way, twice.
    static func rabenseifner(_ p: Int, buffer: Int) -> [[Transfer]] {
        var core = 1
        while core * 2 <= p { core *= 2 }
        let extra = p - core
        // Members taking part, by their place in the power-of-two core.
        let members = (0 ..< p).filter { $0 >= 2 * extra || $0 % 2 == 1 }
        let halving = exchange(core) { round in buffer >> (round + 1) }.map { round in
            round.map { Transfer(from: members[$0.from], to: members[$0.to], bytes: $0.bytes) }
        }
        let pairs = (0 ..< extra).map { (even: 2 * $0, odd: 2 * $0 + 1) }
        let before = pairs.map { Transfer(from: $0.even, to: $0.odd, bytes: buffer) }
        let after = pairs.map { Transfer(from: $0.odd, to: $0.even, bytes: buffer) }
        return (before.isEmpty ? [] : [before]) + halving + halving.reversed() + (after.isEmpty ? [] : [after])
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
