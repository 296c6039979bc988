import RunSpec
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// torchtitan's warmup-stable-decay schedule (`linear_warmup_stable_decay` in
/// torchtitan/components/lr_scheduler.py, the version with the virtual last step).
///
/// With `total` steps and `warmup` (clamped to `total`):
///     decay  = round(total * decayRatio) (Python's round: half to even), capped at total - warmup;
///              total - warmup when decayRatio is nil
///     stable = total + 1 - warmup - decay
/// The factor at the 0-based step s (torchtitan's LambdaLR `last_epoch`; the trainer's 1-based
/// step n runs at s = n - 1):
///     s < warmup:          (s + 1) / warmup
///     s < warmup + stable: 1
///     else:                progress = (s + 1 - warmup - stable) / decay,
///                          linear 1 - progress | sqrt 1 - sqrt(progress) |
///                          cosine 0.5 * (1 + cos(pi * progress)),
///                          then minLRFactor + (1 - minLRFactor) * that
/// Because of the virtual step, the last step's factor is min + (1 - min) / decay (linear), not
/// min. Steps past `total` (torchtitan leaves them undefined) stay at progress 1, the minimum.
public struct LRSchedule: Codable, Equatable, Sendable {
    public enum DecayType: String, Codable, Sendable, CaseIterable {
        case linear, sqrt, cosine
    }

    public var baseLR: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    /// Fraction of the steps spent decaying; nil decays over everything after warm-up.
    public var decayRatio: Double? = 0.8
    public var decayType: DecayType = .linear
    public var minLRFactor: Double = 0

    public init(baseLR: Float, warmupSteps: Int, totalSteps: Int, decayRatio: Double? = 0.8,
                decayType: DecayType = .linear, minLRFactor: Double = 0) {
        self.baseLR = baseLR
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.decayRatio = decayRatio
        self.decayType = decayType
        self.minLRFactor = minLRFactor
    }

    private enum CodingKeys: String, CodingKey {
        case baseLR, warmupSteps, totalSteps, decayRatio, decayType, minLRFactor
    }

    /// `decayRatio` absent means the default 0.8; an explicit JSON null means no decay ratio.
    /// The optional fields take their defaults when absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        baseLR = try c.decode(Float.self, forKey: .baseLR)
        warmupSteps = try c.decode(Int.self, forKey: .warmupSteps)
        totalSteps = try c.decode(Int.self, forKey: .totalSteps)
        if c.contains(.decayRatio) {
            decayRatio = try c.decodeNil(forKey: .decayRatio) ? nil : c.decode(Double.self, forKey: .decayRatio)
        } else {
            decayRatio = 0.8
        }
        decayType = try c.decodeIfPresent(DecayType.self, forKey: .decayType) ?? .linear
        minLRFactor = try c.decodeIfPresent(Double.self, forKey: .minLRFactor) ?? 0
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(baseLR, forKey: .baseLR)
        try c.encode(warmupSteps, forKey: .warmupSteps)
        try c.encode(totalSteps, forKey: .totalSteps)
        if let decayRatio { try c.encode(decayRatio, forKey: .decayRatio) } else { try c.encodeNil(forKey: .decayRatio) }
        try c.encode(decayType, forKey: .decayType)
        try c.encode(minLRFactor, forKey: .minLRFactor)
    }

    /// The phase lengths as torchtitan computes them (warm-up clamped to the total, decay capped).
    public var phases: (warmup: Int, stable: Int, decay: Int) {
        let total = max(totalSteps, 0)
        let warmup = min(max(warmupSteps, 0), total)
        var decay: Int
        if let ratio = decayRatio {
            decay = Int((Double(total) * ratio).rounded(.toNearestOrEven))
            if warmup + decay > total { decay = total - warmup }
        } else {
            decay = total - warmup
        }
        return (warmup, total + 1 - warmup - decay, decay)
    }

    /// The multiplier of `baseLR` at the 0-based step `s`.
    public func factor(zeroBasedStep s: Int) -> Double {
        let (warmup, stable, decay) = phases
        if s < warmup { return Double(s + 1) / Double(warmup) }
        if s < warmup + stable || decay <= 0 { return 1 }
        let progress = min(Double(s + 1 - warmup - stable) / Double(decay), 1)
        let adjustment: Double
        switch decayType {
        case .linear: adjustment = 1 - progress
        case .sqrt: adjustment = 1 - progress.squareRoot()
        case .cosine: adjustment = 0.5 * (1 + cos(Double.pi * progress))
        }
        return minLRFactor + (1 - minLRFactor) * adjustment
    }

    /// The learning rate of the 1-based training step `step` (as torchtitan logs it).
    public func lr(step: Int) -> Float {
        Float(Double(baseLR) * factor(zeroBasedStep: step - 1))
    }

    /// Throws naming the first field out of range. A warm-up longer than the run is allowed
    /// (torchtitan clamps it with a warning); `phases` shows the clamped value.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ why: String) throws {
            if !ok { throw OptimConfigError(field: field, message: why) }
        }
        try check(baseLR.isFinite && baseLR >= 0, "baseLR", "must be a finite number >= 0, got \(baseLR)")
        try check(totalSteps >= 1, "totalSteps", "must be at least 1, got \(totalSteps)")
        try check(warmupSteps >= 0, "warmupSteps", "must be >= 0, got \(warmupSteps)")
        if let r = decayRatio {
            try check(r.isFinite && r >= 0 && r <= 1, "decayRatio", "must be in [0, 1] or null, got \(r)")
        }
        try check(minLRFactor.isFinite && minLRFactor >= 0 && minLRFactor <= 1, "minLRFactor",
                  "must be in [0, 1], got \(minLRFactor)")
    }
}
