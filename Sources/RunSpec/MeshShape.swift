/// The shape of the 2-D data-parallel mesh `[dp_replicate, dp_shard]`: R replicas of S shards.
/// Rank r * S + s sits at row r (its replica) and column s (its shard): the shard dimension is
/// the fast one, as in torchtitan.
public struct MeshShape: Hashable, Sendable, CustomStringConvertible {
    public static let dimensionNames = ["dp_replicate", "dp_shard"]

    public let replicate: Int
    public let shard: Int

    public init(replicate: Int, shard: Int) throws {
        guard replicate >= 1, shard >= 1 else {
            throw MeshError.nonPositive(replicate: replicate, shard: shard)
        }
        self.replicate = replicate
        self.shard = shard
    }

    /// Parses `RxS` or `R,S` (spaces allowed around the numbers, `X` too).
    public static func parse(_ text: String) throws -> MeshShape {
        let separators: Set<Character> = ["x", "X", ","]
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { separators.contains($0) })
            .map(trimmed)
        guard parts.count == 2, let r = Int(parts[0]), let s = Int(parts[1]) else {
            throw MeshError.malformed(text)
        }
        return try MeshShape(replicate: r, shard: s)
    }

    public var worldSize: Int { replicate * shard }

    public var strategy: Strategy {
        switch (replicate, shard) {
        case (1, 1): return .single
        case (_, 1): return .replicate
        case (1, _): return .fsdp
        default: return .hsdp
        }
    }

    /// Throws unless exactly `worldSize` ranks fill this mesh.
    public func validate(worldSize ranks: Int) throws {
        guard ranks == worldSize else { throw MeshError.sizeMismatch(self, started: ranks) }
    }

    public func coordinates(ofRank rank: Int) -> (replicate: Int, shard: Int) {
        precondition((0..<worldSize).contains(rank), "rank \(rank) is outside a mesh of \(worldSize)")
        return (rank / shard, rank % shard)
    }

    public func rank(replicate r: Int, shard s: Int) -> Int {
        precondition((0..<replicate).contains(r) && (0..<shard).contains(s), "(\(r), \(s)) is outside \(self)")
        return r * shard + s
    }

    /// The ranks that hold the same shard as `rank` (its column): gradients are averaged across them.
    public func replicateGroup(ofRank rank: Int) -> [Int] {
        let s = coordinates(ofRank: rank).shard
        return (0..<replicate).map { self.rank(replicate: $0, shard: s) }
    }

    /// The ranks that together hold one replica (its row): parameters are sharded across them.
    public func shardGroup(ofRank rank: Int) -> [Int] {
        let r = coordinates(ofRank: rank).replicate
        return (0..<shard).map { self.rank(replicate: r, shard: $0) }
    }

    /// Every mesh that fills `worldSize` ranks, from pure replicate (N, 1) to pure FSDP (1, N).
    public static func all(worldSize: Int) -> [MeshShape] {
        guard worldSize >= 1 else { return [] }
        return (1...worldSize).reversed().compactMap { r in
            worldSize % r == 0 ? try? MeshShape(replicate: r, shard: worldSize / r) : nil
        }
    }

    /// `RxS`, the form the command line takes.
    public var description: String { "\(replicate)x\(shard)" }

    /// torchtitan's start-up line for this mesh.
    public var buildingLine: String {
        "Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [\(replicate), \(shard)]"
    }
}

/// Which of PyTorch's data-parallel styles a mesh shape is.
public enum Strategy: String, Sendable {
    case single, replicate, fsdp = "FSDP", hsdp = "HSDP"
}

public enum MeshError: Error, CustomStringConvertible, Equatable {
    case malformed(String)
    case nonPositive(replicate: Int, shard: Int)
    case sizeMismatch(MeshShape, started: Int)

    public var description: String {
        switch self {
        case let .malformed(text):
            return "invalid mesh '\(text)': expected RxS or R,S with two positive integers (e.g. 2x2)"
        case let .nonPositive(r, s):
            return "invalid mesh \(r)x\(s): both dp_replicate and dp_shard must be at least 1"
        case let .sizeMismatch(shape, started):
            return "mesh \(shape) needs \(shape.replicate) x \(shape.shard) = \(shape.worldSize) ranks, but \(started) were started"
        }
    }
}

private func trimmed(_ text: Substring) -> String {
    let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    return String(text.drop(while: blank).reversed().drop(while: blank).reversed())
}

/// `{"replicate": R, "shard": S}` on the wire and in specifications; a shape that is not one
/// (a degree below 1) does not decode.
extension MeshShape: Codable {
    private enum Keys: String, CodingKey { case replicate, shard }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let replicate = try container.decode(Int.self, forKey: .replicate)
        let shard = try container.decode(Int.self, forKey: .shard)
        do { try self.init(replicate: replicate, shard: shard) } catch {
            throw DecodingError.dataCorruptedError(forKey: .shard, in: container, debugDescription: "\(error)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(replicate, forKey: .replicate)
        try container.encode(shard, forKey: .shard)
    }
}
