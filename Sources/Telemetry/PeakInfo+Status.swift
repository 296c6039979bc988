import Foundation
import RunSpec

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

    /// "45s ago", "12m ago", "2h ago", "3d ago".
    public static func age(_ seconds: Double) -> String { ageText(seconds: seconds) }
}
