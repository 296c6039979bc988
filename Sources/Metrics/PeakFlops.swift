import CBLAS
import Foundation

/// The FLOP/s one rank's cores can reach, which MFU is measured against. On a CPU there is no
/// data-sheet figure, so it is either given by the user or measured with a short sgemm run at the
/// debugmodel's shapes (the products that dominate a step), and cached per machine.
public struct PeakFlops: Codable, Equatable, Sendable {
    public enum Source: String, Codable, Sendable {
        case given, measured, cached
    }

    public let flops: Double
    public let source: Source
    /// How it was obtained, for the log and the dashboard.
    public let detail: String

    public static func given(tflops: Double) -> PeakFlops {
        PeakFlops(flops: tflops * 1e12, source: .given, detail: "--peak-tflops \(tflops)")
    }

    /// The cached measurement for this machine and thread count, or a new one (then cached).
    public static func measuredOrCached(threads: Int, cacheDirectory: URL?) -> PeakFlops {
        let key = MachineKey.current(threads: threads)
        let file = cacheDirectory?.appendingPathComponent("peak-flops.json")
        var table: [String: Double] = [:]
        if let file, let data = try? Data(contentsOf: file),
           let decoded = try? JSONDecoder().decode([String: Double].self, from: data) {
            table = decoded
            if let flops = table[key] {
                return PeakFlops(flops: flops, source: .cached, detail: "sgemm, \(threads) thread(s), cached in \(file.path)")
            }
        }
        let flops = measure(threads: threads)
        if let file {
            table[key] = flops
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            if let data = try? JSONEncoder().encode(table) { try? data.write(to: file, options: .atomic) }
        }
        return PeakFlops(flops: flops, source: .measured, detail: "sgemm 2048x768x256, \(threads) thread(s)")
    }

    /// Best of several timed sgemm calls (M=2048 tokens, N=768, K=256: the FFN's shape), about 0.3 s.
    public static func measure(threads: Int, seconds: Double = 0.3) -> Double {
        openblas_set_num_threads(Int32(threads))
        let m = 2048, n = 768, k = 256
        var a = [Float](repeating: 0, count: m * k), b = [Float](repeating: 0, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        for i in a.indices { a[i] = Float(i % 17) * 0.01 }
        for i in b.indices { b[i] = Float(i % 13) * 0.01 }
        let flopsPerCall = 2.0 * Double(m * n * k)
        var best = 0.0
        let start = Date()
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                        1, &a, Int32(k), &b, Int32(n), 0, &c, Int32(n))
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            best = max(best, flopsPerCall / dt)
        } while Date().timeIntervalSince(start) < seconds
        return best
    }
}

/// Identifies a machine's BLAS set-up: the CPU model, the OpenBLAS build and the thread count.
enum MachineKey {
    static func current(threads: Int) -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown cpu"
        let blas = openblas_get_config().map { String(cString: $0) } ?? "unknown blas"
        return "\(cpu) | \(blas) | threads \(threads)"
    }
}
