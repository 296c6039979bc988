import ArgumentParser
import RunSpec

/// Writing checkpoints and resuming from them (docs/checkpoints.md).
public struct CheckpointOptions: ParsableArguments {
    @Option(name: .customLong("checkpoint-dir"), help: ArgumentHelp(
        "Folder of checkpoints (step-000010/, ...): written by --checkpoint-every, read by --resume*.",
        valueName: "dir"))
    public var checkpointDir: String?
    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: ArgumentHelp(
        "Save a checkpoint every N steps (0: only when the front end asks).", valueName: "n"))
    public var checkpointEvery = 0
    @Option(name: .customLong("keep-checkpoints"), parsing: .unconditional, help: ArgumentHelp(
        "Keep only the newest K complete checkpoints (default: all).", valueName: "k"))
    public var keepCheckpoints: Int?
    @Flag(help: ArgumentHelp(
        "Resume from the newest complete checkpoint in --checkpoint-dir (on any mesh and number of ranks).",
        discussion: "A damaged newest checkpoint is refused; with no checkpoint at all, training starts at step 1."))
    public var resume = false
    @Option(name: .customLong("resume-step"), parsing: .unconditional, help: ArgumentHelp(
        "Resume from the checkpoint of exactly this step.", valueName: "n"))
    public var resumeStep: Int?
    @Flag(name: .customLong("resume-latest-valid"), help: ArgumentHelp(
        "Like --resume, but if the newest checkpoint is damaged (a file missing, truncated or corrupted), fall back to the newest one that verifies, and say so."))
    public var resumeLatestValid = false

    public init() {}

    public var policy: ResumePolicy? {
        if resume { return .latest }
        if resumeLatestValid { return .latestValid }
        return resumeStep.map { .step($0) }
    }

    /// Sets the checkpoint fields of `config`; two resume options at once are refused.
    public func apply(to config: inout RunSpecification) throws {
        let chosen = [resume ? "--resume" : nil, resumeStep.map { _ in "--resume-step" },
                      resumeLatestValid ? "--resume-latest-valid" : nil].compactMap { $0 }
        if chosen.count > 1 { throw ConfigError("\(chosen.joined(separator: " and ")) exclude each other: pick one") }
        config.checkpointDir = checkpointDir
        config.checkpointEvery = checkpointEvery
        config.keepCheckpoints = keepCheckpoints
        config.resume = policy
    }
}
