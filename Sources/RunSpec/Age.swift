/// How long ago, the way the step line and the dashboard say it: "45s ago", "12m ago", "2h ago", "3d ago".
public func ageText(seconds: Double) -> String {
    let s = Int(max(0, min(seconds, 1e12)))
    if s < 60 { return "\(s)s ago" }
    if s < 3600 { return "\(s / 60)m ago" }
    if s < 86400 { return "\(s / 3600)h ago" }
    return "\(s / 86400)d ago"
}
