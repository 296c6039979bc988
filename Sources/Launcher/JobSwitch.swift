import Foundation
import RunSpec
import Telemetry

extension Job {
    /// Where a switch to another mesh stands, as the header shows it.
    public enum Phase: String, Sendable {
        /// Asked: rank 0 takes the request at the next step boundary, every rank saves, they exit.
        case checkpointing
        /// The old ranks are gone: the new mpirun starts, MPI_Init, the model is built and each
        /// rank reads its slices of the checkpoint (all before the new ranks say hello).
        case relaunching
        /// The new ranks said hello (resumed and resharded): waiting for their first step.
        case resharding
        /// Training (also the phase of a job that is not switching).
        case running
    }

    /// What the job is doing.
    public enum State: Equatable, Sendable {
        case notStarted
        case running(Phase)
        /// A switch failed: the message says how; `retryOnPreviousMesh()` goes back to the old mesh.
        case switchFailed(String)
        /// Ended with this exit status (0: completed or stopped; 3: stopped for a switch nobody relaunched).
        case finished(Int32)
    }

    public struct PhaseStart: Equatable, Sendable {
        public var phase: Phase
        /// Seconds since 1970, this host's clock.
        public var time: Double
    }

    /// One switch (or a retry on the old mesh after one failed), with the time of each phase.
    public struct Switch: Equatable, Sendable {
        public var from: MeshShape
        public var to: MeshShape
        /// Going back to `to` after the switch away from it failed.
        public var isRetry: Bool
        /// When it was asked for (seconds since 1970, this host's clock).
        public var requested: Double
        /// When each phase began, in order.
        public var phases: [PhaseStart]
        /// The checkpoint the old ranks wrote for it (nil for a retry, or when none came).
        public var checkpoint: Telemetry.Checkpoint?
        /// The first step of the new ranks, and when it arrived.
        public var firstStep: Int?
        public var firstStepTime: Double?
        public var failure: String?
        /// The new mpirun was started when the switch was asked for, its ranks waiting for the
        /// old ones to end (Supervisor+Gate); false when it could only start after them.
        public var startedAhead = false

        /// Request to the first step event of the new mesh; nil until then.
        public var seconds: Double? { firstStepTime.map { $0 - requested } }
        public var phase: Phase { phases.last?.phase ?? .checkpointing }

        /// How long each phase lasted (the last one up to the first step), in order.
        public var phaseSeconds: [(phase: Phase, seconds: Double)] {
            phases.enumerated().compactMap { index, entry in
                let end = index + 1 < phases.count ? phases[index + 1].time : firstStepTime
                return end.map { (entry.phase, $0 - entry.time) }
            }
        }

    }
}

extension MeshShape {
    /// "(R, S)", as the ranks' own lines write a mesh.
    var text: String { "(\(replicate), \(shard))" }
}
