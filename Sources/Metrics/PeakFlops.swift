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

    /// `threads` cores' worth of the cached measurement of one core on this machine, or of a new
    /// one (then cached). One core's best, not a run on all of them at once: a single-threaded
    /// loop needs only one quiet core to find its ceiling, and a step uses its threads as
    /// independent single-threaded lanes (Llama), so N of them can at best do N times as much.
    public static func measuredOrCached(threads: Int, cacheDirectory: URL?) -> PeakFlops {
        let key = MachineKey.current()
        let file = cacheDirectory?.appendingPathComponent("peak-flops.json")
        var table: [String: Double] = [:]
        if let file, let data = try? Data(contentsOf: file),
           let decoded = try? JSONDecoder().decode([String: Double].self, from: data) {
            table = decoded
            if let core = table[key] {
                return PeakFlops(flops: Double(threads) * core, source: .cached,
                                 detail: "sgemm on one core x \(threads) thread(s), cached in \(file.path)")
            }
        }
        let core = measureOneCore()
        if let file {
            table[key] = core
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            if let data = try? JSONEncoder().encode(table) { try? data.write(to: file, options: .atomic) }
        }
        return PeakFlops(flops: Double(threads) * core, source: .measured,
                         detail: "sgemm 2048x768x256 on one core x \(threads) thread(s)")
    }

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

    /// One core's ceiling: the fastest of the single-threaded sgemm calls (M=2048 tokens, N=768,
    /// K=256: the FFN's shape) made in `seconds`. Best of many, so a moment of contention on a busy
    /// machine does not lower it.
    public static func measureOneCore(seconds: Double = 1) -> Double {
        let saved = openblas_get_num_threads()
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(saved) }
        return bestSgemm(seconds: seconds)
    }

    /// FLOP/s of the fastest of the sgemm calls made in `seconds` on the calling thread.
    static func bestSgemm(seconds: Double) -> Double { sgemmCallRates(seconds: seconds).max() ?? 0 }

    /// FLOP/s of each of the sgemm calls (the peak's shape: M=2048, N=768, K=256, beta 0) made one
    /// after another for `seconds` on the calling thread, with whatever BLAS threads are set.
    /// `bench-model sgemm` reads their spread, which the peak (their best) does not show.
    public static func sgemmCallRates(seconds: Double) -> [Double] {
        let m = 2048, n = 768, k = 256
        var a = [Float](repeating: 0, count: m * k), b = [Float](repeating: 0, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        for i in a.indices { a[i] = Float(i % 17) * 0.01 }
        for i in b.indices { b[i] = Float(i % 13) * 0.01 }
        let flopsPerCall = 2.0 * Double(m * n * k)
        var rates: [Double] = []
        let start = Date()
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                        1, &a, Int32(k), &b, Int32(n), 0, &c, Int32(n))
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            rates.append(flopsPerCall / dt)
        } while Date().timeIntervalSince(start) < seconds
        return rates
    }
}

/// Identifies a machine's BLAS set-up: the CPU model and the OpenBLAS build.
enum MachineKey {
    static func current() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown cpu"
        let blas = openblas_get_config().map { String(cString: $0) } ?? "unknown blas"
        // "one core": older entries, keyed by thread count, measured OpenBLAS's own threading
        return "\(cpu) | \(blas) | one core"
    }
}
