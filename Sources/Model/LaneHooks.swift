/// A lane's view of the step's hooks when several lanes run at once. At every unit boundary the
/// lanes meet; lane 0 (the caller's thread) alone calls the data-parallel hooks, which gather
/// parameters or start collectives, while the others wait for it. After a unit's backward the lanes
/// first add their gradients of that unit into lane 0's, so the hooks see the whole batch's.
final class LaneHooks: StepHooks {
    private let lane: Int
    private let threads: LaneThreads
    /// Adds this lane's part of a unit's gradients (set by the Llama, which owns them).
    var reduce: (_ unit: Int) -> Void = { _ in }
    /// The data-parallel hooks of the current pass (set by the Llama before it starts the lanes).
    var target: StepHooks?

    init(lane: Int, threads: LaneThreads) {
        self.lane = lane
        self.threads = threads
    }

    func willForward(unit: Int) { meet { target?.willForward(unit: unit) } }
    func didForward(unit: Int) { meet { target?.didForward(unit: unit) } }
    func willBackward(unit: Int) { meet { target?.willBackward(unit: unit) } }

    func didBackward(unit: Int) {
        threads.barrier()
        reduce(unit)
        threads.barrier()   // no lane writes its gradients again before every slice is added
        if lane == 0, let target { target.didBackward(unit: unit) }
        if target != nil { threads.barrier() }
    }

    /// Everyone arrives (done with what came before), lane 0 runs `hook`, everyone goes on. Without
    /// hooks the lanes need not meet here.
    private func meet(_ hook: () -> Void) {
        guard target != nil else { return }
        threads.barrier()
        if lane == 0 { hook() }
        threads.barrier()
    }
}
