/// AdamW's hyper-parameters; the defaults are torchtitan's debugmodel config.
public struct AdamWConfig: Codable, Equatable, Sendable {
    /// The base learning rate (the schedule's peak); `AdamW.step` takes the scheduled value.
    public var lr: Float = 8e-4
    public var beta1: Float = 0.9
    public var beta2: Float = 0.95
    public var eps: Float = 1e-8
    /// Decoupled weight decay, applied to every element (torchtitan decays every parameter).
    public var weightDecay: Float = 0.1

    public init(lr: Float = 8e-4, beta1: Float = 0.9, beta2: Float = 0.95, eps: Float = 1e-8,
                weightDecay: Float = 0.1) {
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }

    private enum CodingKeys: String, CodingKey { case lr, beta1, beta2, eps, weightDecay }

    /// Keys that are absent take their defaults, so a config file may name only what it changes.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AdamWConfig()
        lr = try c.decodeIfPresent(Float.self, forKey: .lr) ?? d.lr
        beta1 = try c.decodeIfPresent(Float.self, forKey: .beta1) ?? d.beta1
        beta2 = try c.decodeIfPresent(Float.self, forKey: .beta2) ?? d.beta2
        eps = try c.decodeIfPresent(Float.self, forKey: .eps) ?? d.eps
        weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? d.weightDecay
    }

    /// Throws naming the first field out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ why: String) throws {
            if !ok { throw OptimConfigError(field: field, message: why) }
        }
        try check(lr.isFinite && lr >= 0, "lr", "must be a finite number >= 0, got \(lr)")
        try check(beta1 >= 0 && beta1 < 1, "beta1", "must be in [0, 1), got \(beta1)")
        try check(beta2 >= 0 && beta2 < 1, "beta2", "must be in [0, 1), got \(beta2)")
        try check(eps.isFinite && eps >= 0, "eps", "must be a finite number >= 0, got \(eps)")
        try check(weightDecay.isFinite && weightDecay >= 0, "weightDecay",
                  "must be a finite number >= 0, got \(weightDecay)")
    }
}

/// A configuration value out of range; `field` is the name as it appears in the struct.
public struct OptimConfigError: Error, CustomStringConvertible, Equatable {
    public let field: String
    public let message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
}
