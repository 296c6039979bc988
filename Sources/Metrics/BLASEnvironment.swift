import CBLAS
import CKernels
import Foundation

/// What OpenBLAS reads from the environment when it loads, before `main`: a process sets it by
/// executing itself again (same pid, arguments and other variables). The launcher passes the
/// thread timeout to mpirun's ranks instead (LaunchPlan); the kernel is each host's own choice.
public enum BLASEnvironment {
    /// OpenBLAS's idle threads spin for 2^28 cycles (~0.1 s) after each GEMM before they sleep.
    /// With as many BLAS threads as cores, that spinning takes the core on which the attention
    /// core's and the element-wise kernels' second worker runs (`Kernels.parallelFor`): at 2
    /// threads the attention core took 153-180 ms a step with the default and 76-108 ms with 2^4
    /// cycles (`bench-model 2 6 256`).
    public static let threadTimeout = (variable: "OPENBLAS_THREAD_TIMEOUT", value: "4")

    /// Debian's OpenBLAS 0.3.21 picks its kernel by CPU model and falls back to Prescott's (SSE3)
    /// for a model it does not know: on an Intel Xeon of family 6 model 207 (AVX-512) sgemm ran at
    /// 11-33 GF/s a core with it and 155 with SkylakeX's. A core type the user set is kept.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"

    /// The widest vector instructions the CPU and the OS allow (CKernels' `ck_cpu_level`).
    public enum CPULevel: Int32, Sendable {
        case older = 0, avx, avx2, avx512
        public static var current: CPULevel { CPULevel(rawValue: ck_cpu_level()) ?? .older }
    }

    /// The kernel OpenBLAS runs in this process ("SkylakeX", "Haswell", "Zen", "Prescott", ...).
    public static var kernel: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// The kernel a process of this machine runs once `applyByReexecuting` has set what it sets.
    public static var chosen: String { coreType(detected: kernel, level: .current) ?? kernel }

    /// The kernel to ask for instead of `detected`: only when OpenBLAS fell back to Prescott's on a
    /// CPU with wider instructions (a real Prescott has no AVX, so it keeps its own).
    public static func coreType(detected: String, level: CPULevel) -> String? {
        guard detected == "Prescott" else { return nil }
        switch level {
        case .avx512: return "SkylakeX"
        case .avx2: return "Haswell"
        case .avx: return "Sandybridge"
        case .older: return nil
        }
    }

    /// The variables this process still has to set, in the order they are set.
    public static func missing(in environment: [String: String], detected: String, level: CPULevel)
        -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        if environment[threadTimeout.variable] == nil { out.append((threadTimeout.variable, threadTimeout.value)) }
        if environment[coreTypeVariable] == nil, let core = coreType(detected: detected, level: level) {
            out.append((coreTypeVariable, core))
        }
        return out
    }

    /// Sets what is missing and replaces this process with itself. Returns when nothing was
    /// missing, or when exec failed (the process then runs with OpenBLAS's own choices). No loop:
    /// after the exec every variable it set is there.
    public static func applyByReexecuting() {
        let changes = missing(in: ProcessInfo.processInfo.environment, detected: kernel, level: .current)
        guard !changes.isEmpty else { return }
        for change in changes { setenv(change.name, change.value, 1) }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
