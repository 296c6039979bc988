import Foundation
import RunSpec

/// The FLOP/s one rank's cores can reach, which MFU is measured against. On a CPU there is no
/// data-sheet figure, so it is given by the user, measured with sgemm (SgemmProbe), read from the
/// cache (PeakCache) once a short probe has failed to beat it, or raised by a step that beat it.
public struct PeakFlops: Codable, Equatable, Sendable {
    public enum Source: String, Codable, Sendable {
        /// `--peak-tflops`.
        case given
        /// By SgemmProbe in this run (no cache entry, or the start-up probe beat it).
        case measured
        /// The cache's entry, which the start-up probe did not beat.
        case cached
        /// A step's achieved model FLOP/s beat the peak in force, so MFU cannot pass 100%.
        case raised
    }

    public let flops: Double
    public let source: Source
    /// How it was obtained, for the start-up line and the dashboard's details.
    public let detail: String
    /// Cores' worth of one core's figure it is (1 for a given peak).
    public let threads: Int
    /// Unix seconds when it was measured or raised; nil when given.
    public let measuredAt: Double?
    /// The step that raised it (source `raised`).
    public let raisedAtStep: Int?

    public init(flops: Double, source: Source, detail: String, threads: Int = 1, measuredAt: Double? = nil,
                raisedAtStep: Int? = nil) {
        self.flops = flops; self.source = source; self.detail = detail; self.threads = max(1, threads)
        self.measuredAt = measuredAt; self.raisedAtStep = raisedAtStep
    }

    public static func given(tflops: Double) -> PeakFlops {
        PeakFlops(flops: tflops * 1e12, source: .given, detail: "--peak-tflops \(tflops)")
    }

    /// One core's figure.
    public var coreFlops: Double { flops / Double(threads) }

    /// "cached 2h ago", "measured now", "raised at step 7", "given": where it came from and how old it is.
    public func status(now: Double = Date().timeIntervalSince1970) -> String {
        switch source {
        case .given: return "given"
        case .raised: return "raised at step \(raisedAtStep ?? 0)"
        case .measured, .cached:
            guard let measuredAt else { return source.rawValue }
            let age = now - measuredAt
            return source == .measured && age < 60 ? "measured now" : "\(source.rawValue) \(Self.age(age))"
        }
    }

    /// Appended to torchtitan's step line after `mfu: NN.NN%`: `peak: 89.6 GF/s cached 2h ago`.
    public func stepSuffix(now: Double = Date().timeIntervalSince1970) -> String {
        "peak: \(Self.gigaflops(flops)) \(status(now: now))"
    }

    /// The start-up line after torchtitan's `Peak FLOPS used for computing MFU`.
    public func sourceLine(now: Double = Date().timeIntervalSince1970) -> String {
        "Peak FLOPS source: \(status(now: now)) (\(detail))"
    }

    /// "89.6 GF/s"
    public static func gigaflops(_ flops: Double) -> String { String(format: "%.1f GF/s", flops / 1e9) }

    /// "45s ago", "12m ago", "2h ago", "3d ago".
    public static func age(_ seconds: Double) -> String { ageText(seconds: seconds) }

    /// Cores this process may run on: its affinity list (mpirun may bind a rank to one core), from
    /// /proc/self/status ("Cpus_allowed_list: 0-3,6"); the online cores where that is unreadable.
    public static func allowedCores() -> Int {
        let online = max(1, ProcessInfo.processInfo.activeProcessorCount)
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") })
        else { return online }
        let list = line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
        var count = 0
        for part in list.split(separator: ",") {
            let ends = part.split(separator: "-").compactMap { Int($0) }
            guard let first = ends.first else { return online }
            count += (ends.last ?? first) - first + 1
        }
        return max(1, count)
    }
}
