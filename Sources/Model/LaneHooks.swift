/// A lane's view of the step's hooks when several lanes run at once. Lane 0 (the caller's thread)
/// alone calls the data-parallel hooks; when they change bindings (FSDP's gathers) every lane
/// stops at each unit boundary while it does. After a unit's backward the lanes first add their
/// gradients of that unit into lane 0's, so the hooks see the whole batch's.
final class LaneHooks: StepHooks {
    private let lane: Int
    private let threads: LaneThreads
    /// Adds this lane's part of a unit's gradients (set by the Llama, which owns them).
    var reduce: (_ unit: Int) -> Void = { _ in }
    /// The data-parallel hooks of the current pass, and whether they change bindings (both set by
    /// the Llama before it starts the lanes, so that every lane takes the same barriers).
    var target: StepHooks?
    var waits = false

    init(lane: Int, threads: LaneThreads) {
        self.lane = lane
        self.threads = threads
    }

    func willForward(unit: Int) { meet { target?.willForward(unit: unit) } }
    func didForward(unit: Int) { meet { target?.didForward(unit: unit) } }
    func willBackward(unit: Int) { meet { target?.willBackward(unit: unit) } }
    /// No barrier: lane 0 alone calls MPI, and progress changes nothing the other lanes read.
    func progress() { if lane == 0 { target?.progress() } }

    func didBackward(unit: Int) {
        threads.barrier()
        reduce(unit)
        threads.barrier()   // no lane writes its gradients again before every slice is added
        meet(waitingBefore: false) { target?.didBackward(unit: unit) }
    }

    /// Lane 0 runs `hook`. When the hooks change bindings every lane first arrives (done with what
    /// came before, unless `waitingBefore` is false because it just did) and waits for the hook.
    private func meet(waitingBefore: Bool = true, _ hook: () -> Void) {
        guard target != nil else { return }
        if waits && waitingBefore { threads.barrier() }
        if lane == 0 { hook() }
        if waits { threads.barrier() }
    }
}
