import Foundation
import Telemetry

/// A run read from one of the places meshtop reads runs from (its own recordings, TensorBoard
/// event files, torchtitan's console logs), as the telemetry events it amounts to: the dashboard,
/// `compare` and `watch` then need to know nothing of where it came from.
public struct LoadedRun: Sendable {
    public enum Source: String, Sendable, CaseIterable {
        /// `meshtop run --metrics-file`: the stream's own JSON lines.
        case recording
        /// TFRecord event files (`--tensorboard`, torchtitan's, any TensorBoard writer's).
        case tensorboard
        /// torchtitan's console output (torchrun's `[rankN]:` prefixes, one file or a folder of them).
        case torchtitanLog = "torchtitan-log"
    }

    /// What the user named (a file or a folder).
    public var path: String
    public var source: Source
    /// The events in the order they happened: a hello when the source says enough for one, then
    /// steps (every rank the source knows of), checkpoints, logs, a done if it ended.
    public var records: [TelemetryRecord]
    /// What was read around, one line each naming where (a malformed line, a damaged record at
    /// its offset); never a reason to refuse the run.
    public var skipped: [String]

    public init(path: String, source: Source, records: [TelemetryRecord], skipped: [String] = []) {
        self.path = path; self.source = source; self.records = records; self.skipped = skipped
    }

    /// The run's hello, if the source had one.
    public var hello: Hello? {
        for record in records { if case .hello(let h) = record.event { return h } }
        return nil
    }

    /// Every step, in order.
    public var steps: [Telemetry.Step] {
        records.compactMap { if case .step(let s) = $0.event { return s } else { return nil } }
    }
}
