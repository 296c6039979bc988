/// Which checkpoint a run resumes from.
public enum ResumePolicy: Codable, Equatable, Sendable {
    /// The newest complete checkpoint; refused if it is damaged. No checkpoint at all: a fresh start.
    case latest
    /// The newest complete checkpoint that verifies: a damaged one is skipped (and said so) for the
    /// one before it. No checkpoint at all: a fresh start.
    case latestValid
    /// Exactly this step's checkpoint.
    case step(Int)
}
