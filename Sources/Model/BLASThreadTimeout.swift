import Foundation

/// OpenBLAS's idle threads spin for 2^28 cycles (~0.1 s) after each GEMM before they sleep. With
/// as many BLAS threads as cores, that spinning takes the core on which the attention core's and
/// the element-wise kernels' second worker runs (`Kernels.parallelFor`): at 2 threads the
/// attention core took 153-180 ms a step with the default and 76-108 ms with 2^4 cycles
/// (`bench-model 2 6 256`). OpenBLAS reads OPENBLAS_THREAD_TIMEOUT (log2 of the cycles) when it
/// loads, before `main`, so a process sets it by executing itself again (the launcher passes it
/// to mpirun's ranks instead: LaunchPlan).
public enum BLASThreadTimeout {
    public static let variable = "OPENBLAS_THREAD_TIMEOUT"
    public static let value = "4"

    /// Unless the variable is already set: sets it and replaces this process with itself (same
    /// pid, arguments and other variables). Returns only when it is set, or when exec failed.
    public static func applyByReexecuting() {
        guard ProcessInfo.processInfo.environment[variable] == nil else { return }
        setenv(variable, value, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
