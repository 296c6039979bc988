import ModelShape
#if canImport(Glibc)
import Glibc
#endif

/// A counter-based generator: splitmix64 of (stream key + counter * golden gamma). Every tensor gets its own
/// key from (seed, tensor index), so values never depend on the order tensors are filled in.
public struct SplitMix64: Sendable {
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }

    @inline(__always) public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always) public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// Uniform in (0, 1].
    @inline(__always) public mutating func nextUnit() -> Double {
        (Double(next() >> 11) + 1) * 0x1p-53
    }
}

/// A stream of standard normal values (Box-Muller on SplitMix64, in Double).
public struct NormalStream: Sendable {
    var rng: SplitMix64
    var spare: Double = 0
    var hasSpare = false

    public init(seed: UInt64, stream: UInt64) {
        rng = SplitMix64(seed: SplitMix64.mix(seed ^ SplitMix64.mix(stream &+ 0x632B_E59B_D9B4_E019)))
    }

    public mutating func next() -> Double {
        if hasSpare { hasSpare = false; return spare }
        let u1 = rng.nextUnit(), u2 = rng.nextUnit()
        let r = (-2 * log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spare = r * sin(angle); hasSpare = true
        return r * cos(angle)
    }
}

public enum Initializer {
    public enum Scheme: Equatable, Sendable {
        case normal(std: Double)
        case ones
        /// Normal(0, std) restricted to [low, high] (rejection sampling).
        case truncatedNormal(std: Double, low: Double, high: Double)
    }

    /// torchtitan's scheme for the tensor called `name` in a model of width `dim` (see shared/notes/torchtitan.md).
    public static func scheme(name: String, dim: Int) -> Scheme {
        if name == "tok_embeddings.weight" { return .normal(std: 1.0) }
        if name.hasSuffix("norm.weight") { return .ones }
        if name == "output.weight" {
            let std = 1.0 / Double(dim).squareRoot()
            return .truncatedNormal(std: std, low: -3 * std, high: 3 * std)
        }
        // layers.{i}.…: depth-scaled std for wo, w2, w3; torch's default cut at +-2 (absolute).
        let layer = Int(name.split(separator: ".")[1]) ?? 0
        if name.hasSuffix("wo.weight") || name.hasSuffix("w2.weight") || name.hasSuffix("w3.weight") {
            return .truncatedNormal(std: 0.02 / (2.0 * Double(layer + 1)).squareRoot(), low: -2, high: 2)
        }
        return .truncatedNormal(std: 0.02, low: -2, high: 2)
    }

    public static func initialize(_ parameters: UnsafeMutableBufferPointer<Float>, layout: ParameterLayout,
                                  seed: UInt64) {
        precondition(parameters.count >= layout.count, "parameter buffer smaller than the layout")
        // The config is only needed for dim (output std); recover it from the output tensor's shape.
        let dim = layout.tensors.last!.shape[1]
        let base = parameters.baseAddress!
        for (index, tensor) in layout.tensors.enumerated() {
            let tensorScheme = Self.scheme(name: tensor.name, dim: dim)
            fill(base + tensor.offset, count: tensor.count, scheme: tensorScheme, seed: seed, stream: UInt64(index))
        }
    }

    public static func fill(_ p: UnsafeMutablePointer<Float>, count: Int, scheme: Scheme, seed: UInt64, stream: UInt64) {
        var normals = NormalStream(seed: seed, stream: stream)
        switch scheme {
        case .ones:
            p.update(repeating: 1, count: count)
        case .normal(let std):
            for i in 0..<count { p[i] = Float(normals.next() * std) }
        case .truncatedNormal(let std, let low, let high):
            for i in 0..<count {
                var v: Double
                repeat { v = normals.next() * std } while v < low || v > high
                p[i] = Float(v)
            }
        }
    }
}
