import CBLAS
import CKernels
import Memory
import ModelShape
import RunSpec

/// Called around each unit so data parallelism can gather parameters (FSDP) or start gradient
/// all-reduces (replicate) at the right moment. All methods have empty default implementations.
public protocol StepHooks: AnyObject {
    func willForward(unit: Int)
    func didForward(unit: Int)
    func willBackward(unit: Int)
    /// Backward visits units from last to first.
    func didBackward(unit: Int)
    /// Called by lane 0 between the kernels of a unit: the chance for a collective started earlier
    /// to move on (Open MPI has no progress thread here; a started call moves only inside an MPI
    /// call). Must be cheap and must not change bindings.
    func progress()
    /// Whether the hooks change what the model reads or writes at a unit boundary (FSDP gathers
    /// parameters and rebinds): then lanes that run at once all stop while lane 0 runs each hook.
    /// Otherwise lane 0 calls them as it passes (default true).
    var changesBindings: Bool { get }
}

public extension StepHooks {
    var changesBindings: Bool { true }
    func willForward(unit: Int) {}
    func didForward(unit: Int) {}
    func willBackward(unit: Int) {}
    func didBackward(unit: Int) {}
    func progress() {}
}

public struct ModelError: Error, CustomStringConvertible {
    public let description: String
}

/// The Llama-3 decoder: forward and backward over buffers allocated once, in init, through the ledger.
/// The batch is cut into `lanes` contiguous slices run at once on as many threads (each lane its own
/// activations, every lane the same parameters): on a CPU, independent single-threaded products
/// over half a batch each outrun one product split over two BLAS threads.
public final class Llama {
    public let config: ModelConfig
    public let layout: ParameterLayout
    public let batchSize: Int
    public let seqLen: Int

    public private(set) var parameters: UnsafeMutableBufferPointer<Float>
    public private(set) var gradients: UnsafeMutableBufferPointer<Float>

    private let lanes: [DecoderLane]
    /// First sequence of each lane.
    private let laneStarts: [Int]
    /// Lanes 1...: the unit being differentiated's gradients, added into lane 0's after its backward.
    private let laneGradients: [UnsafeMutablePointer<Float>]
    private let threads: LaneThreads?
    private let laneHooks: [LaneHooks]
    private let laneLosses: UnsafeMutablePointer<Float>
    /// Each lane's dense GEMMs since the last resetGemmTally (Llama+GemmTally).
    let gemmTallies: UnsafeMutablePointer<ck_gemm_tally>
    private let tokenLoss: UnsafeMutablePointer<Float>

    /// Query rows per attention block (Kernels.attentionBlockRows when the model was made).
    public var attentionBlockRows: Int { lanes[0].attentionBlockRows }
    /// The kept projections' budget (ModelSizes.keptProjectionBudgetBytes, read at init).
    public static var keptProjectionBudgetBytes: Int {
        get { ModelSizes.keptProjectionBudgetBytes }
        set { ModelSizes.keptProjectionBudgetBytes = newValue }
    }
    /// The backward computes the feed-forward's w1 and w3 again instead of keeping them.
    public var recomputesFeedForward: Bool { lanes[0].recomputesFeedForward }

    /// The attention probabilities' budget (ModelSizes.attentionProbabilityBudgetBytes, read at init).
    public static var attentionProbabilityBudgetBytes: Int {
        get { ModelSizes.attentionProbabilityBudgetBytes }
        set { ModelSizes.attentionProbabilityBudgetBytes = newValue }
    }
    /// Threads for the attention core and the element-wise kernels (Kernels.workers) during forward/backward
    /// with one lane: nil (the default) follows openblas_get_num_threads(); 1 keeps them on the calling thread.
    /// With several lanes every lane is single-threaded.
    public var kernelThreads: Int? = nil

    /// Whether this model keeps attention probabilities (true) or recomputes them in the backward.
    public var keepsAttentionProbabilities: Bool { lanes[0].attentionProbabilities != nil }
    /// Slices of the batch that run at once, each on its own thread.
    public var laneCount: Int { lanes.count }

    /// The last forward's -log p(target) of every token, [batchSize * seqLen] (read-only view, for tests and metrics).
    public var tokenLosses: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: tokenLoss, count: batchSize * seqLen) }

    public init(config: ModelConfig, batchSize: Int, seqLen: Int, ledger: MemoryLedger,
                allocateParameters: Bool = true, lanes laneCount: Int = 1) throws {
        try config.validate()
        guard batchSize > 0 else { throw ModelError(description: "batchSize must be > 0, got \(batchSize)") }
        guard seqLen > 0, seqLen <= config.maxSeqLen else {
            throw ModelError(description: "seqLen must be in 1...\(config.maxSeqLen) (maxSeqLen), got \(seqLen)")
        }
        guard laneCount >= 1, laneCount <= batchSize else {
            throw ModelError(description: "lanes must be in 1...\(batchSize) (the batch size), got \(laneCount)")
        }
        self.config = config
        let layout = ParameterLayout(config: config)
        self.layout = layout
        self.batchSize = batchSize
        self.seqLen = seqLen

        if allocateParameters {
            parameters = ledger.allocate(Float.self, count: layout.count, category: .parameters, label: "model.parameters")
            gradients = ledger.allocate(Float.self, count: layout.count, category: .gradients, label: "model.gradients")
        } else {
            parameters = UnsafeMutableBufferPointer(start: nil, count: 0)
            gradients = UnsafeMutableBufferPointer(start: nil, count: 0)
        }
        let n = batchSize * seqLen
        let tokenLoss = ledger.allocate(Float.self, count: n, category: .activations, label: "model.output.token_loss").baseAddress!
        self.tokenLoss = tokenLoss
        laneLosses = UnsafeMutablePointer<Float>.allocate(capacity: laneCount)
        gemmTallies = UnsafeMutablePointer<ck_gemm_tally>.allocate(capacity: laneCount)
        gemmTallies.initialize(repeating: ck_gemm_tally(seconds: 0, flops: 0), count: laneCount)
        let starts = (0..<laneCount).map { ModelSizes.part($0, of: laneCount, count: batchSize).lowerBound }
        laneStarts = starts
        let keep = ModelSizes.keepsAttentionProbabilities(config: config, batchSize: batchSize, seqLen: seqLen)
        let recompute = ModelSizes.recomputesFeedForward(config: config, batchSize: batchSize, seqLen: seqLen)
        let sizes = ModelSizes.laneBatchSizes(lanes: laneCount, batchSize: batchSize)
        lanes = (0..<laneCount).map { k in
            DecoderLane(config: config, units: layout.units.count, batchSize: sizes[k], seqLen: seqLen,
                        tokenLoss: tokenLoss + starts[k] * seqLen, keepProbabilities: keep, recomputeFeedForward: recompute,
                        attentionWorkers: ModelSizes.attentionWorkers(lanes: laneCount), ledger: ledger,
                        label: k == 0 ? "model." : "model.lane\(k).")
        }
        let largestUnit = layout.units.map(\.range.count).max() ?? 0
        laneGradients = (1..<laneCount).map { k in
            ledger.allocate(Float.self, count: largestUnit, category: .gradients, label: "model.lane\(k).unit_gradients").baseAddress!
        }
        if laneCount > 1 {
            let threads = LaneThreads(count: laneCount)
            self.threads = threads
            laneHooks = (0..<laneCount).map { LaneHooks(lane: $0, threads: threads) }
        } else {
            threads = nil
            laneHooks = []
        }
        for (k, hooks) in laneHooks.enumerated() {
            hooks.reduce = { [unowned self] unit in self.addLaneGradients(unit: unit, part: k) }
        }
        if allocateParameters {
            for (u, unit) in layout.units.enumerated() {
                bind(unit: u, parameters: parameters.baseAddress! + unit.range.lowerBound,
                     gradients: gradients.baseAddress! + unit.range.lowerBound)
            }
        }
    }

    deinit {
        threads?.stop()
        laneLosses.deallocate()
        gemmTallies.deallocate()
    }

    /// Repoint unit `unit`'s parameters / gradients at storage laid out like `layout.units[unit].range`.
    /// Lanes other than the first keep their own gradients of the unit until its backward ends.
    public func bind(unit: Int, parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        precondition(unit >= 0 && unit < layout.units.count, "no unit \(unit)")
        for (k, lane) in lanes.enumerated() {
            lane.unitParameters[unit] = parameters
            lane.unitGradients[unit] = k == 0 ? gradients : laneGradients[k - 1]
        }
    }

    /// Zeroes the gradients of every unit (through the bindings), a part on each lane's thread.
    public func zeroGradients() {
        onLaneThreads { part, parts in
            for (u, unit) in layout.units.enumerated() {
                let slice = ModelSizes.part(part, of: parts, count: unit.range.count)
                (lanes[0].grads(u) + slice.lowerBound).update(repeating: 0, count: slice.count)
            }
        }
    }

    /// body(part, parts) for every part at once, one on each lane's thread (parts = laneCount; with
    /// one lane, on the caller alone): element-wise work between steps, such as the optimizer's, that
    /// would otherwise leave the lanes' cores idle.
    public func onLaneThreads(_ body: (_ part: Int, _ parts: Int) -> Void) {
        guard let threads else { return body(0, 1) }
        threads.run { body($0, lanes.count) }
    }

    /// Mean token cross-entropy over batchSize*seqLen tokens (inputs/targets row-major [B, T]).
    public func forward(inputs tokenIDs: UnsafeBufferPointer<Int32>, targets targetIDs: UnsafeBufferPointer<Int32>,
                        hooks: StepHooks?) -> Float {
        let n = batchSize * seqLen
        precondition(tokenIDs.count == n && targetIDs.count == n,
                     "forward needs \(n) inputs and targets, got \(tokenIDs.count) and \(targetIDs.count)")
        guard let threads else {
            Kernels.workers = kernelThreads ?? Int(openblas_get_num_threads())
            return tallyingGemms(lane: 0) {
                lanes[0].forward(inputs: tokenIDs.baseAddress!, targets: targetIDs.baseAddress!, hooks: hooks)
            }
        }
        runLanes(threads, hooks: hooks) { k in
            let first = laneStarts[k] * seqLen
            laneLosses[k] = lanes[k].forward(inputs: tokenIDs.baseAddress! + first, targets: targetIDs.baseAddress! + first,
                                             hooks: laneHooks[k])
        }
        // each lane's mean weighted by its tokens: the mean over the whole batch
        var loss: Float = 0
        for k in lanes.indices { loss += laneLosses[k] * Float(lanes[k].n) / Float(n) }
        return loss
    }

    /// Gradients of (lossScale * the last forward's loss), added into the bound gradient buffers.
    /// Once per forward: it overwrites saved activations once it is done with them (each lane checks).
    public func backward(lossScale: Float, hooks: StepHooks?) {
        guard let threads else {
            Kernels.workers = kernelThreads ?? Int(openblas_get_num_threads())
            return tallyingGemms(lane: 0) { lanes[0].backward(lossScale: lossScale, hooks: hooks) }
        }
        let n = Float(batchSize * seqLen)
        runLanes(threads, hooks: hooks) { k in
            lanes[k].backward(lossScale: lossScale * Float(lanes[k].n) / n, hooks: laneHooks[k])
        }
    }

    /// body(lane) on every lane's thread, each single-threaded (kernels and OpenBLAS alike).
    private func runLanes(_ threads: LaneThreads, hooks: StepHooks?, _ body: (Int) -> Void) {
        precondition(!GemmProfile.enabled, "GemmProfile times one lane at a time: profile a model with one lane")
        // every lane takes the same barriers: read once, here
        let waits = hooks?.changesBindings ?? false
        for lane in laneHooks { lane.target = hooks; lane.waits = waits }
        Kernels.workers = 1
        Kernels.withOneBLASThread { threads.run { k in tallyingGemms(lane: k) { body(k) } } }
        for lane in laneHooks { lane.target = nil }
    }

    /// Part `part` (of laneCount) of unit `unit`: lane 0's gradients += every other lane's, which are
    /// zeroed for the next unit. Each lane adds its own part, so the addition is spread over the threads.
    private func addLaneGradients(unit: Int, part: Int) {
        let slice = ModelSizes.part(part, of: lanes.count, count: layout.units[unit].range.count)
        for source in laneGradients {
            Kernels.addAndClear(into: lanes[0].grads(unit) + slice.lowerBound, from: source + slice.lowerBound,
                                count: slice.count)
        }
    }
}
