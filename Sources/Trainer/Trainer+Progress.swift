import Foundation
import Metrics
import Model

/// Whether a step tests its collectives in flight between the kernels of a unit
/// (`StepHooks.progress`), or only at unit boundaries.
extension Trainer {
    /// More ranks on this host than cores it may use: Open MPI then yields the core inside every MPI
    /// call that finds nothing to do (mpi_yield_when_idle, on when oversubscribed), so a test between
    /// kernels hands the core to another rank mid-compute; and with the cores the bottleneck, nothing
    /// would move the data meanwhile anyway.
    public static func hostOversubscribed(environment: [String: String] = ProcessInfo.processInfo.environment,
                                   threads: Int, cores: Int = PeakFlops.allowedCores()) -> Bool {
        guard let local = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) else { return false }
        return local * max(1, threads) > cores
    }
}

/// The strategy's hooks with the tests between kernels dropped (an oversubscribed host): the unit
/// boundaries' own tests stay.
final class UnitBoundaryProgress: StepHooks {
    let inner: StepHooks
    init(inner: StepHooks) { self.inner = inner }
    var changesBindings: Bool { inner.changesBindings }
    func willForward(unit: Int) { inner.willForward(unit: unit) }
    func didForward(unit: Int) { inner.didForward(unit: unit) }
    func willBackward(unit: Int) { inner.willBackward(unit: unit) }
    func didBackward(unit: Int) { inner.didBackward(unit: unit) }
}
