import Foundation

extension PeakInfo {
    /// "cached 2h ago", "measured now", "raised at step 7", "given" at Unix time `now` (the front end
    /// passes its latest event's time, so a replay says what the live dashboard said).
    public func status(now: Double) -> String {
        if source == "raised" { return "raised at step \(raisedAtStep ?? 0)" }
        guard let measuredAt, source == "measured" || source == "cached" else { return source }
        let age = now - measuredAt
        return source == "measured" && age < 60 ? "measured now" : "\(source) \(Self.age(age))"
    }

    /// "89.6 GF/s"
    public var gigaflops: String { String(format: "%.1f GF/s", flops / 1e9) }

    /// "45s ago", "12m ago", "2h ago", "3d ago" (as `Metrics.PeakFlops.age`, which this module cannot see).
    public static func age(_ seconds: Double) -> String {
        let s = Int(max(0, min(seconds, 1e12)))
        if s < 60 { return "\(s)s ago" }
        if s < 3600 { return "\(s / 60)m ago" }
        if s < 86400 { return "\(s / 3600)h ago" }
        return "\(s / 86400)d ago"
    }
}
