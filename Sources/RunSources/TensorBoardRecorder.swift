import Foundation
import RunSpec
import TensorBoard
import Telemetry

/// `meshtop run --tensorboard DIR`: the telemetry as torchtitan's TensorBoard event files. At the
/// top of DIR what torchtitan writes by default (rank 0 alone logs): the run's figures and rank
/// 0's; in `DIR/rank_N/` each rank's own figures, as torchtitan's `save_for_all_ranks` lays them
/// out (TensorBoard shows each folder as a run). Every step is written (torchtitan writes every
/// `log_freq`-th), and each mesh's hello as a text. Folders and files are made at the first
/// event, so a run refused before launch leaves nothing.
public final class TensorBoardRecorder {
    public let folder: String
    private let report: (String) -> Void
    private var top: EventFileWriter?
    private var rankWriters: [Int: EventFileWriter] = [:]
    private var hostMemory: [Int: Int] = [:]
    /// Tokens of every rank so far; nil once a step was missed (a run resumed midway, say).
    private var tokensSeen: Int? = 0
    private var lastStep = 0
    private var failed = false

    /// `report` hears the first failure to write, once; the run goes on without the files.
    public init(folder: String, report: @escaping (String) -> Void) {
        self.folder = folder
        self.report = report
    }

    /// A folder `--tensorboard` can make or write in: refused in one line before launch.
    public static func check(_ folder: String, _ input: String) throws {
        var path = folder
        var info = stat()
        while stat(path, &info) != 0 {
            guard errno == ENOENT || errno == ENOTDIR else { throw InputError("\(input): \(String(cString: strerror(errno)).lowercased())") }
            let parent = (path as NSString).deletingLastPathComponent
            path = parent.isEmpty ? "." : parent
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw InputError(path == folder ? "\(input): is a file, expected a folder" : "\(input): \(path) is a file, expected a folder")
        }
        guard access(path, W_OK | X_OK) == 0 else {
            throw InputError("\(input): cannot write in \(path) (\(String(cString: strerror(errno)).lowercased()))")
        }
    }

    public func record(_ record: TelemetryRecord) {
        guard !failed else { return }
        do {
            switch record.event {
            case .hello(let hello): try write(hello, time: record.time)
            case .step(let step): try write(step, time: record.time)
            default: break
            }
        } catch {
            failed = true
            report(ErrorText.line(error))
        }
    }

    /// Synced and closed.
    public func close() {
        for writer in [top].compactMap({ $0 }) + rankWriters.values {
            do { try writer.close() } catch { if !failed { failed = true; report(ErrorText.line(error)) } }
        }
    }

    private func write(_ hello: Hello, time: Double) throws {
        for rank in hello.ranks where rank.hostMemoryBytes > 0 { hostMemory[rank.rank] = rank.hostMemoryBytes }
        let line = try LineCoding.encode(TelemetryRecord(time: time, event: .hello(hello)))
        let text = SummaryValue(tag: TensorBoardTags.hello, payload: .tensor(TensorProto(dtype: 7, stringValues: [Array(line.dropLast())])),
                                metadata: SummaryMetadata(pluginName: SummaryMetadata.textPlugin, dataClass: 2))
        try topWriter(time).write(TensorBoard.Event(wallTime: time, step: Int64(lastStep + 1), summary: Summary(values: [text])))
    }

    private func write(_ step: Telemetry.Step, time: Double) throws {
        let tokens = step.ranks.reduce(0) { $0 + $1.tokens }
        tokensSeen = step.step == lastStep + 1 ? tokensSeen.map { $0 + tokens } : nil
        lastStep = step.step
        let scalars = TensorBoardScalars(step, hostMemory: hostMemory, tokensSeen: tokensSeen)
        let rank0 = scalars.ranks.first { $0.rank == 0 }?.values ?? []
        try topWriter(time).write(event(step.step, time, scalars.run + rank0))
        for (rank, values) in scalars.ranks {
            if rankWriters[rank] == nil {
                rankWriters[rank] = try EventFileWriter(folder: (folder as NSString).appendingPathComponent(TensorBoardTags.rankFolder(rank)),
                                                        now: time)
            }
            try rankWriters[rank]!.write(event(step.step, time, values))
        }
    }

    private func topWriter(_ time: Double) throws -> EventFileWriter {
        if let top { return top }
        let writer = try EventFileWriter(folder: folder, now: time)
        top = writer
        return writer
    }

    /// One event of simple values, as torch.utils.tensorboard's add_scalar writes them.
    private func event(_ step: Int, _ time: Double, _ values: TensorBoardScalars.Values) -> TensorBoard.Event {
        TensorBoard.Event(wallTime: time, step: Int64(step), summary: Summary(values: values.map {
            SummaryValue(tag: $0.tag, payload: .simple(Float($0.value)))
        }))
    }
}
