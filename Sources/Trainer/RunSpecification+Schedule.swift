import Optim
import RunSpec

extension RunSpecification {
    /// The learning-rate schedule the options describe.
    public var schedule: LRSchedule {
        LRSchedule(baseLR: optimizer.lr, warmupSteps: warmupSteps, totalSteps: steps, decayRatio: decayRatio,
                   minLRFactor: minLRFactor)
    }
}
