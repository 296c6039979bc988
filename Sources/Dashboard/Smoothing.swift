/// TensorBoard's scalar smoothing: an exponential moving average debiased like Adam's moments,
/// so the first points are not pulled towards zero. Non-finite values are passed through and
/// do not enter the average.
public enum Smoothing {
    public static func debiasedEMA(_ values: [Double], weight: Double) -> [Double] {
        let w = min(max(weight, 0), 1)
        var out = [Double](repeating: 0, count: values.count)
        var last = 0.0, accumulated = 0
        var debias = 1.0  // weight^accumulated, kept as a product (no pow per point)
        for (i, value) in values.enumerated() {
            guard value.isFinite else { out[i] = value; continue }
            last = last * w + (1 - w) * value
            accumulated += 1
            // Once w^n is below half an ulp of 1 the divisor is exactly 1: skip the division.
            if debias > 1e-17 {
                debias *= w
                out[i] = w == 1 ? last : last / (1 - debias)
            } else {
                out[i] = last
            }
        }
        return out
    }
}
