#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Telemetry
import XCTest

/// Events of every kind, with values that exercise the encoding (unicode, quotes, newlines in
/// strings, optionals absent and present, large integers).
enum Samples {
    static let hello = Hello(
        config: RunConfig(steps: 10, seqLen: 256, localBatchSize: 8, globalBatchSize: 32, gradAccum: 1, warmupSteps: 2,
                          lr: 8e-4, maxNorm: 1.0, seed: UInt64.max, threads: 1, dataPath: "data/tinyshakespeare.txt",
                          tokenizerPath: "data/tokenizer.json", arguments: ["--mesh", "2x2", "--steps", "10"]),
        mesh: MeshLayout(replicate: 2, shard: 2, strategy: "hsdp"),
        model: ModelSummary(flavor: "debugmodel", dim: 256, nLayers: 6, nHeads: 16, nKVHeads: 16, vocabSize: 2000,
                            parameters: 6_139_136),
        flopsPerToken: 3.5e7,
        peak: PeakInfo(flops: 1.01e11, source: "cached", detail: "sgemm 512x768x256 on one core x 1 thread(s)",
                       measuredAt: 1_764_090_531.5),
        ranks: (0..<4).map { RankIdentity(rank: $0, host: "node-\($0 / 2)", pid: Int32(1000 + $0), hostMemoryBytes: 8 << 30) })

    static func rankStep(_ rank: Int, step: Int = 1) -> RankStep {
        RankStep(rank: rank, tokens: 2048,
                 seconds: StepSeconds(total: 0.91 + Double(rank) * 0.01, data: 0.001, compute: 0.8, communication: 0.1,
                                      optimizer: 0.009, gemm: rank == 3 ? nil : 0.71),
                 tokensPerSecond: 2250.5, tflops: 0.0788, mfu: 67.25,
                 communication: ["all_gather": CollectiveFigures(bytes: 9_000_000, calls: 16, waitSeconds: 0.05),
                                 "reduce_scatter": CollectiveFigures(bytes: 4_500_000, calls: 8, waitSeconds: 0.03),
                                 "all_reduce": CollectiveFigures(bytes: 3_000_000, calls: 8, waitSeconds: 0.02)],
                 memory: ["parameters": 6_139_136, "gathered_parameters": 3_409_920, "gradients": 6_139_136,
                          "optimizer": 12_278_272, "activations": 140_000_000, "communication": 0, "scratch": 4096],
                 residentBytes: 312_000_000, peakResidentBytes: 330_000_000 + step,
                 // rank 3 as an older build sends it: no GEMM figures
                 gemmFlops: rank == 3 ? nil : 6.3e10,
                 mfuSplit: rank == 3 ? nil : MFUSplitFigures(gemmOfPeak: 0.875, inGemms: 0.8125, notWaiting: 0.890625,
                                                             modelPerGemmFlop: 1.0625, gemmFlopsPerSecond: 8.8375e10))
    }

    static func step(_ n: Int, ranks: Int = 4) -> Step {
        Step(step: n, loss: 8.06577 - Double(n) * 0.1, gradNorm: 0.7973, lr: 8e-4 * Double(n) / 10,
             ranks: (0..<ranks).map { rankStep($0, step: n) })
    }

    /// A step that beat the peak: it carries the raised one.
    static var raisedStep: Step {
        var s = step(2)
        s.peak = PeakInfo(flops: 1.05e11, source: "raised", detail: "step 2 of rank 1 reached 105.0 GF/s",
                          measuredAt: 1_764_097_732.125, raisedAtStep: 2)
        return s
    }

    static let events: [Event] = [
        .hello(hello),
        .log(LogLine(message: "Building 2-D device mesh with ['dp_replicate', 'dp_shard'], [2, 2]")),
        .step(step(1)),
        .step(raisedStep),
        .warning(Notice(message: "rank 3 is slow: \"straggler\"\nsecond line, ünïcødé ✓", rank: 3, step: 1)),
        .checkpoint(Checkpoint(step: 1, path: "outputs/step-1.safetensors", bytes: 24_556_544, seconds: 0.25)),
        .error(Notice(message: "non-finite loss")),
        .done(Done(status: 0, reason: "completed",
                   summary: RunSummary(steps: 1, tokens: 8192, seconds: 1.5, finalLoss: 7.96577, meanMFU: 67.25))),
        .done(Done(status: 1, reason: "failed", summary: RunSummary(steps: 0, tokens: 0, seconds: 0.1))),
        // The front end's own, in its recording.
        .recovery(RecoveryNotice(phase: .resumed, failure: 1, lostRanks: [3], lostHost: nil, failedAfterStep: 41, from: [2, 2],
                                 to: [2, 1], resumedAtStep: 40, seconds: 2.1, stepsRedone: 1,
                                 message: "rank 3 lost at step 41 on [2, 2]; resumed at step 40 on [2, 1] in 2.1 s; 1 step redone")),
    ]

    static var records: [TelemetryRecord] {
        events.enumerated().map { TelemetryRecord(time: 1_764_097_731.125 + Double($0.offset), event: $0.element) }
    }
}

/// Polls `condition` every 5 ms for at most `timeout` seconds.
@discardableResult
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}

/// Items from the receiver until `stop` says so (that item included) or `timeout` passes.
func collect(_ receiver: TelemetryReceiver, timeout: Double = 10,
             until stop: (TelemetryReceiver.Item) -> Bool) -> [TelemetryReceiver.Item] {
    let deadline = Date().addingTimeInterval(timeout)
    var items: [TelemetryReceiver.Item] = []
    while Date() < deadline {
        guard let item = receiver.next(timeout: deadline.timeIntervalSinceNow) else { break }
        items.append(item)
        if stop(item) { break }
    }
    return items
}

func records(_ items: [TelemetryReceiver.Item]) -> [TelemetryRecord] {
    items.compactMap { if case .record(let r) = $0 { return r }; return nil }
}

func isDone(_ item: TelemetryReceiver.Item) -> Bool {
    if case .record(let r) = item, case .done = r.event { return true }
    return false
}

/// Counts calls of a sender's `report`, from any thread.
final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    var all: [String] { lock.lock(); defer { lock.unlock() }; return messages }
    var count: Int { all.count }
    var callback: @Sendable (String) -> Void { { [self] m in lock.lock(); messages.append(m); lock.unlock() } }
}

/// A plain blocking TCP client for the tests that play a misbehaving rank 0.
final class RawClient {
    let fd: Int32

    init(port: UInt16) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Writes everything (MSG_NOSIGNAL: a closed peer must not kill the test); false if it failed.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    /// Whether the peer closed the connection (EOF or reset) within `timeout` seconds,
    /// discarding anything it sent.
    func closedByPeer(within timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return true }
            if n < 0 && errno != EAGAIN && errno != EINTR { return true }
        }
        return false
    }

    /// The lines the peer sent within `timeout` seconds, until `count` arrived.
    func readLines(count: Int, timeout: Double) -> [String] {
        var splitter = LineSplitter()
        var lines: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while lines.count < count && Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            for case .line(let line) in splitter.append(buffer[0..<n]) { lines.append(String(decoding: line, as: UTF8.self)) }
        }
        return lines
    }
}

/// A TCP socket bound to 127.0.0.1 on a port the kernel picks, and that port.
func boundLoopbackSocket() -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var bound = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &bound) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, UInt16(bigEndian: bound.sin_port))
}

/// A port nothing listens on: bound, then closed.
func closedPort() -> UInt16 {
    let (fd, port) = boundLoopbackSocket()
    close(fd)
    return port
}

/// A listener that accepts nothing and reads nothing: a front end that hangs.
final class StalledListener {
    let fd: Int32
    let port: UInt16

    init() {
        (fd, port) = boundLoopbackSocket()
        listen(fd, 4)
    }

    deinit { close(fd) }
}
