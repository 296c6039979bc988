import RunSpec

/// A step's predicted time on one mesh and placement, and where it goes.
public struct StepTime: Equatable, Sendable {
    /// Forward and backward of every micro-batch (and, in the share of the sgemm rate, the rest).
    public var computeSeconds = 0.0
    /// Every collective call's own time, summed (whether or not compute hid it).
    public var communicationSeconds = 0.0
    /// What the step waited for communication: the step less its compute.
    public var exposedSeconds = 0.0
    public var stepSeconds = 0.0
    /// Tokens of every rank per second.
    public var tokensPerSecond = 0.0
    public var secondsByKind: [CollectiveKind: Double] = [:]
    /// Bytes per step, all ranks together, by kind of link and collective.
    public var interHostBytes: [CollectiveKind: Int] = [:]
    public var intraHostBytes: [CollectiveKind: Int] = [:]

    public init() {}

    /// Communication compute hid: started calls that ran while the rank computed.
    public var hiddenSeconds: Double { max(0, communicationSeconds - exposedSeconds) }
}

/// The step's timeline replayed (CommunicationPrediction's events): compute runs unit by unit; a
/// wait stalls the rank until its call has ended; a blocking call stalls it for the call's whole
/// time. A started call does not move until the rank next enters MPI (a test, a wait, a blocking
/// call): Open MPI has no progress thread here, and a message larger than the eager limit needs
/// both sides inside MPI to be matched and pulled. From there it runs to its end while the rank
/// goes on. The network takes one call at a time (they share the links), in the order they move.
/// The model tests what is in flight between the kernels of every unit (StepHooks.progress). So
/// replicate's buckets and HSDP's all-reduces of the shards hide behind the rest of the backward,
/// FSDP's forward prefetch behind the unit before, its backward prefetch moves with the next
/// reduce-scatter, and reduce-scatters block.
public enum StepTimePrediction {
    /// nil, with the reason, when the topology lacks a kind of link the placement needs.
    public static func predict(_ workload: Workload, mesh: MeshShape, hostOfRank: [Int],
                               model: TimeModel) -> Result<StepTime, PlanError> {
        precondition(hostOfRank.count == mesh.worldSize, "a host for each of the \(mesh.worldSize) ranks")
        let log = CommunicationPrediction.log(workload, mesh: mesh)
        var time = StepTime()
        var durations: [Double] = []
        for call in log.calls {
            guard let t = CallTiming.time(call, groups: InterHostPrediction.groups(call.over, mesh), hostOfRank: hostOfRank, model: model) else {
                let missing = model.interHost == nil && Set(hostOfRank).count > 1 ? "between hosts" : "within a host"
                return .failure(PlanError("the topology has no link \(missing) (the probe ran no pair of ranks \(missing))"))
            }
            durations.append(t.seconds)
            time.secondsByKind[call.kind, default: 0] += t.seconds
            time.interHostBytes[call.kind, default: 0] += t.interHostBytes
            time.intraHostBytes[call.kind, default: 0] += t.intraHostBytes
        }
        let units = UnitCompute(model: workload.model, seqLen: workload.seqLen)
        let secondsPerFlop = Double(workload.tokensPerMicroBatch) / model.stepFlops
        var clock = 0.0, networkFree = 0.0
        var posted: [Int] = []          // started, not moving until the rank enters MPI
        var ends: [Int: Double] = [:]
        func enterMPI() {
            for call in posted {
                ends[call] = max(clock, networkFree) + durations[call]
                networkFree = ends[call]!
            }
            posted.removeAll()
        }
        for event in log.events {
            switch event {
            case .forward(let unit): clock += units.forward[unit] * secondsPerFlop
            case .backward(let unit): clock += units.backward[unit] * secondsPerFlop
            case .start(let call): posted.append(call)
            case .progress: enterMPI()
            case .wait(let call):
                enterMPI()
                clock = max(clock, ends[call] ?? clock)
            case .blocking(let call):
                enterMPI()
                clock = max(clock, networkFree) + durations[call]
                networkFree = clock
            }
        }
        time.computeSeconds = units.total * secondsPerFlop * Double(workload.gradAccum)
        time.communicationSeconds = durations.reduce(0, +)
        time.stepSeconds = clock
        time.exposedSeconds = max(0, clock - time.computeSeconds)
        time.tokensPerSecond = Double(workload.tokensPerMicroBatch * workload.gradAccum * mesh.worldSize) / clock
        return .success(time)
    }
}
