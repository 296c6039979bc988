import Foundation

/// Monotonic seconds, for timing the parts of a step.
@inline(__always)
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
