import Diagnosis
import RunSpec
import Telemetry

/// Everything the dashboard knows about the run, folded from its inputs by `apply` (a pure
/// reducer: the same inputs always give the same state, so snapshots replay recorded events).
public struct DashboardState: Equatable, Sendable {
    /// A title for the header; nil: derived from the hello (flavor and data).
    public var runName: String?
    public private(set) var hello: Hello?
    /// Where the hello's ranks run (folded once per hello, not per frame).
    public private(set) var placement = HostPlacement([])
    public internal(set) var phase: RunPhase = .starting
    /// The latest step's per-rank figures, in rank order (empty until a step of the current mesh).
    public private(set) var ranks: [RankStep] = []
    public private(set) var loss = StepSeries()
    public private(set) var gradNorm = StepSeries()
    public private(set) var lr = StepSeries()
    /// Steps whose weights were saved.
    public private(set) var checkpoints: [Int] = []
    /// Where the mesh changed: the last step on the old mesh, and the old and new meshes.
    public private(set) var meshChanges: [MeshChange] = []
    /// A mesh change whose first step has not come yet (its mark goes just before that step).
    private var meshChangePending = false
    public private(set) var throughput = ThroughputHistory()
    public internal(set) var log = LogHistory()
    /// The latest step figures of every mesh the run has used, in order of first use (the picker).
    public internal(set) var usedMeshes: [MeshMeasurement] = []
    /// Each failure of the job, as its latest recovery event tells it (DashboardState+Recovery.swift).
    public internal(set) var recoveries: [RecoveryNotice] = []
    /// The latest mesh switch asked for in the picker, and how it went.
    public internal(set) var meshSwitch: MeshSwitchStatus?
    /// Unix time of the first hello and of the latest event.
    public private(set) var startTime: Double?
    public private(set) var lastTime: Double?
    public private(set) var done: Done?
    /// The peak in force: the hello's, then the latest a step raised it to.
    public private(set) var peak: PeakInfo?
    /// The job's exit status once it has ended.
    public private(set) var endedStatus: Int32?
    /// While the run is hung: its report (the hang board replaces the loss chart).
    public private(set) var hang: HangReport?
    /// Bytes a step sends between hosts (predicted for the placement; nil on one host).
    public private(set) var interHostBytes: Int?
    /// Who is slow and why, and the mesh's row and column aggregates, over the last steps.
    public private(set) var stragglers: StragglerReport?
    /// `run --compare REF`: the reference and the live run's verdict against it.
    public private(set) var reference: LiveReference?
    /// The last steps of the current mesh, what `stragglers` is read from.
    private var recentSteps: [Step] = []

    public init(runName: String? = nil) { self.runName = runName }

    public var mesh: MeshLayout? { hello?.mesh }
    public var worldSize: Int { hello?.mesh.worldSize ?? 0 }
    public var lastStep: Int? { loss.lastStep }
    public var totalSteps: Int? { hello?.config.steps }
    public var hasEnded: Bool { endedStatus != nil }

    public var title: String {
        if let runName { return runName }
        guard let hello else { return "" }
        let data = hello.config.dataPath.split(separator: "/").last.map(String.init) ?? ""
        return "llama3 \(hello.model.flavor)" + (data.isEmpty ? "" : " on \(data)")
    }

    public mutating func apply(_ input: DashboardInput) {
        switch input {
        case .record(let record):
            if startTime == nil { startTime = record.time }
            lastTime = max(lastTime ?? record.time, record.time)
            apply(record.event)
        case .launcher(let message):
            log.append(LogEntry(kind: .launcher, rank: nil, text: message))
        case .output(let line, let isError):
            log.append(LogEntry(kind: isError ? .stderr : .output, rank: nil, text: line))
        case .phase(let phase):
            self.phase = phase
        case .switchRequested, .switched, .switchFailed, .switchRefused:
            applySwitch(input)
        case .hang(let report):
            hang = report
        case .interHostBytes(let bytes):
            interHostBytes = bytes
        case .reference(let reference):
            self.reference = reference
        case .ended(let status):
            hang = nil
            endedStatus = status
            if phase.isLive || status != 0 { phase = status == 0 ? .finished : .failed }
        }
    }

    private mutating func apply(_ event: Event) {
        reference?.record(event)
        switch event {
        case .hello(let next):
            if let previous = hello?.mesh, previous != next.mesh {
                meshChanges.append(MeshChange(afterStep: loss.lastStep ?? 0, from: previous, to: next.mesh))
                meshChangePending = true
                ranks = []
                recentSteps = []
                stragglers = nil
            }
            hello = next
            placement = HostPlacement(next.ranks)
            // A recording carries the prediction in its hello; live, the front end pushes it.
            if let bytes = next.predictedInterHostBytesPerStep { interHostBytes = bytes }
            peak = next.peak
            if case .failed = meshSwitch { meshSwitch = nil }  // a retry started again
            if phase == .starting || phase == .relaunching || phase == .resharding { phase = .running }
        case .step(let step):
            if meshChangePending {
                meshChanges[meshChanges.count - 1].afterStep = step.step - 1
                meshChangePending = false
            }
            loss.record(step: step.step, value: step.loss)
            gradNorm.record(step: step.step, value: step.gradNorm)
            lr.record(step: step.step, value: step.lr)
            ranks = step.ranks
            if let raised = step.peak { peak = raised }
            throughput.append(step.ranks, flopsPerToken: hello?.flopsPerToken, peakFlops: peak?.flops)
            recordMeasurement(step)
            recentSteps = (recentSteps + [step]).suffix(StragglerReport.window)
            if let layout = hello?.mesh, let mesh = try? MeshShape(replicate: layout.replicate, shard: layout.shard) {
                stragglers = StragglerReport(mesh: mesh, steps: recentSteps)
            }
            if phase == .starting || phase == .checkpointing || phase == .resharding { phase = .running }
        case .checkpoint(let checkpoint):
            if !checkpoints.contains(checkpoint.step) { checkpoints.append(checkpoint.step) }
            if phase == .checkpointing { phase = .running }
            log.append(LogEntry(kind: .info, rank: 0, text: "checkpoint of step \(checkpoint.step) saved to \(checkpoint.path)"))
        case .log(let line):
            if line.rank == 0 { log.append(LogEntry(kind: .info, rank: line.rank, text: line.message)) }
        case .warning(let notice):
            log.append(LogEntry(kind: .warning, rank: notice.rank, text: notice.message))
        case .error(let notice):
            log.append(LogEntry(kind: .error, rank: notice.rank, text: notice.message))
        case .done(let done):
            self.done = done
            phase = done.reason == .failed ? .failed : .finished
        case .recovery(let notice):
            applyRecovery(notice)
        }
    }
}

/// The mesh changed after `afterStep` (a relaunch on another mesh from a checkpoint).
public struct MeshChange: Equatable, Sendable {
    public var afterStep: Int
    public var from: MeshLayout
    public var to: MeshLayout
}
