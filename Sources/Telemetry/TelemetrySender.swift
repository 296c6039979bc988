#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Rank 0's end of the stream. When the first `hello` is sent it connects to the front end in
/// the background, writes the hello (with the token) first and every other event after it, and
/// reads control commands back.
///
/// It never blocks and never throws at the caller: `send` encodes the event and appends it to a
/// queue bounded in bytes (the oldest queued events are dropped when it is full, and a warning
/// saying how many goes out in their place); one background thread does all the socket work with
/// non-blocking calls and `MSG_NOSIGNAL`, so a vanished front end cannot raise SIGPIPE. When the
/// connection cannot be made or is lost, `report` is called once, the state becomes `.failed`,
/// and later events are dropped at the cost of a lock.
public final class TelemetrySender: Sendable {
    public enum State: Equatable, Sendable {
        case connecting
        case connected
        /// The front end could not be reached or went away; nothing more is sent.
        case failed(String)
        /// `close` was called.
        case closed
    }

    public struct Statistics: Equatable, Sendable {
        /// Events fully written to the socket (the dropped-events warnings included).
        public var sentEvents = 0
        public var sentBytes = 0
        /// Events not sent: queue full, failed or closed sender, over the line limit, not encodable.
        public var droppedEvents = 0
        public var queuedEvents = 0
        public var queuedBytes = 0
        /// Lines read back from the front end, as commands accepted or rejected.
        public var commandLines = LineCounts()
    }

    public let address: TelemetryAddress
    public let queueLimitBytes: Int
    public let maxLineLength: Int

    private let token: String
    private let connectTimeout: Double
    private let report: @Sendable (String) -> Void
    private let encoder = Mutex(LineCoding.makeEncoder())
    private let guarded = Mutex(Guarded())
    private let wakeup: Wakeup?
    private let finished = DispatchSemaphore(value: 0)
    private static let commandLimit = 1024

    /// What the caller's threads and the background thread share, behind `guarded`.
    private struct Guarded {
        var currentState = State.connecting
        var stats = Statistics()
        var hello: [UInt8]?
        var helloWritten = false
        var queue: [[UInt8]] = []
        var queueHead = 0
        var unreportedDrops = 0
        var commands: [ControlCommand] = []
        var closeDeadline: Double?
        var reportedOversize = false
        var failureReported = false

        /// Connecting or connected.
        var isOpen: Bool {
            switch currentState {
            case .connecting, .connected: return true
            case .failed, .closed: return false
            }
        }

        var queueIsEmpty: Bool { queueHead == queue.count }

        /// Whether `nextLine` has something now.
        var hasWritableLine: Bool {
            helloWritten ? (!queueIsEmpty || unreportedDrops > 0) : hello != nil
        }

        mutating func dropQueue() {
            stats.droppedEvents += stats.queuedEvents
            stats.queuedEvents = 0
            stats.queuedBytes = 0
            queue.removeAll()
            queueHead = 0
        }

        mutating func popQueue() -> [UInt8] {
            let line = queue[queueHead]
            queue[queueHead] = []
            queueHead += 1
            stats.queuedEvents -= 1
            stats.queuedBytes -= line.count
            if queueHead > 256 && queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            return line
        }
    }

    /// Connects to `address` in the background as soon as the first `hello` is sent. `report`
    /// is called (from the background thread) once when the front end cannot be reached or is
    /// lost, and once if an event is too large to send.
    public init(address: TelemetryAddress, token: String, queueLimitBytes: Int = 8 << 20,
                connectTimeout: Double = 5, maxLineLength: Int = TelemetrySchema.maxLineLength,
                report: @escaping @Sendable (String) -> Void) {
        self.address = address
        self.token = token
        self.queueLimitBytes = queueLimitBytes
        self.connectTimeout = connectTimeout
        self.maxLineLength = maxLineLength
        self.report = report
        wakeup = try? Wakeup()
        let thread = Thread { [self] in run() }
        thread.name = "meshtop.telemetry.sender"
        thread.start()
    }

    /// The sender `MESHTOP_TELEMETRY` and `MESHTOP_TELEMETRY_TOKEN` ask for; nil when the first
    /// is not set (no front end), or when they are malformed (then `report` says so, once).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       queueLimitBytes: Int = 8 << 20,
                                       report: @escaping @Sendable (String) -> Void) -> TelemetrySender? {
        switch TelemetryEnvironment.lookup(environment) {
        case .absent:
            return nil
        case .invalid(let reason):
            report("telemetry: \(reason); training continues without the front end")
            return nil
        case .configured(let address, let token):
            return TelemetrySender(address: address, token: token, queueLimitBytes: queueLimitBytes, report: report)
        }
    }

    public var state: State { guarded.withLock { $0.currentState } }
    public var statistics: Statistics { guarded.withLock { $0.stats } }

    /// Queues an event; never blocks on the network and never fails. The first `hello` is sent
    /// first, with the token; events sent before it wait for it (within the queue's bound).
    public func send(_ event: Event, time: Double = Date().timeIntervalSince1970) {
        let accepting = guarded.withLock { g -> Bool in
            if g.isOpen && g.closeDeadline == nil { return true }
            g.stats.droppedEvents += 1
            return false
        }
        guard accepting else { return }
        let isFirstHello: Bool = {
            if case .hello = event { return guarded.withLock { $0.hello == nil } }
            return false
        }()
        let record = TelemetryRecord(time: time, event: event)
        let line: [UInt8]
        do {
            line = try encoder.withLock {
                try LineCoding.encode(record, token: isFirstHello ? token : nil, with: $0)
            }
        } catch {
            guarded.withLock { $0.stats.droppedEvents += 1 }
            return
        }
        let (maxLineLength, queueLimitBytes) = (self.maxLineLength, self.queueLimitBytes)
        let oversized = guarded.withLock { g -> Bool in
            // The state may have changed while the event was encoded.
            if g.closeDeadline != nil || !g.isOpen {
                g.stats.droppedEvents += 1
                return false
            }
            if line.count - 1 > maxLineLength || line.count > queueLimitBytes {
                g.stats.droppedEvents += 1
                let first = !g.reportedOversize
                g.reportedOversize = true
                return first
            }
            if isFirstHello && g.hello == nil {
                g.hello = line
                return false
            }
            while !g.queueIsEmpty && g.stats.queuedBytes + line.count > queueLimitBytes {
                let dropped = g.popQueue()
                g.stats.droppedEvents += 1
                g.unreportedDrops += 1
                _ = dropped
            }
            g.queue.append(line)
            g.stats.queuedEvents += 1
            g.stats.queuedBytes += line.count
            return false
        }
        if oversized {
            report("telemetry: a \(event.kind.rawValue) event of \(line.count) bytes exceeds the \(maxLineLength)-byte line limit and was dropped")
        }
        wakeup?.signal()
    }

    /// Commands the front end sent since the last call, oldest first. Never blocks.
    public func pendingCommands() -> [ControlCommand] {
        guarded.withLock { g in
            defer { g.commands.removeAll() }
            return g.commands
        }
    }

    /// Stops the sender: what is queued gets up to `flushTimeout` seconds to go out, then the
    /// connection is closed. Returns when the background thread has finished (or after the
    /// timeout and a second). Events sent afterwards are dropped.
    public func close(flushTimeout: Double = 2) {
        let alreadyClosing = guarded.withLock { g -> Bool in
            if g.closeDeadline != nil { return true }
            g.closeDeadline = monotonicNow() + max(0, flushTimeout)
            return false
        }
        wakeup?.signal()
        guard !alreadyClosing else { return }
        _ = finished.wait(timeout: .now() + max(0, flushTimeout) + 1)
    }

    // MARK: - the background thread

    /// The next line to write, if any: the hello first; nothing else until the hello is out.
    private func nextLine() -> [UInt8]? {
        guarded.withLock { g in
            if !g.helloWritten {
                guard let hello = g.hello else { return nil }
                g.helloWritten = true
                return hello
            }
            if g.unreportedDrops > 0 {
                let notice = Notice(message: "telemetry: \(g.unreportedDrops) event(s) dropped: the front end did not keep up")
                g.unreportedDrops = 0
                if let line = try? encoder.withLock({
                    try LineCoding.encode(TelemetryRecord(time: Date().timeIntervalSince1970, event: .warning(notice)),
                                          token: nil, with: $0)
                }) {
                    return line
                }
            }
            return g.queueIsEmpty ? nil : g.popQueue()
        }
    }

    /// Reports once, then fails: whoever sees `.failed` has already had the report.
    private func fail(_ reason: String) {
        let first = guarded.withLock { g -> Bool in
            defer { g.failureReported = true }
            return !g.failureReported
        }
        if first {
            report("telemetry: \(reason); training continues without the front end")
        }
        guarded.withLock { g in
            if case .failed = g.currentState { return }
            g.currentState = .failed(reason)
            g.dropQueue()
        }
    }

    private func run() {
        defer { finished.signal() }
        guard let wakeup else { return fail("cannot create a wake-up pipe") }
        // Connect only once the hello is there: the receiver gives a connection a few seconds
        // to present it, and the trainer's set-up (tokenizing, measuring the peak) can take longer.
        while true {
            let (hasHello, closing) = guarded.withLock { ($0.hello != nil, $0.closeDeadline != nil) }
            if hasHello { break }
            if closing {
                guarded.withLock { $0.currentState = .closed; $0.dropQueue() }
                return
            }
            _ = pollDescriptors([(wakeup.readEnd, pollIn)], timeout: 1)
            wakeup.drain()
        }
        let fd: Int32
        do {
            fd = try Socket.startConnect(host: address.host, port: address.port)
        } catch {
            return fail("cannot connect to the front end at \(address): \(error)")
        }
        defer { closeDescriptor(fd) }
        let connectDeadline = monotonicNow() + connectTimeout
        var connected = false
        var splitter = LineSplitter(maxLength: maxLineLength)
        var pendingLine: [UInt8] = []
        var pendingOffset = 0
        var readBuffer = [UInt8](repeating: 0, count: 64 << 10)

        while true {
            let (closeAt, hasLine) = guarded.withLock { ($0.closeDeadline, $0.hasWritableLine) }
            let now = monotonicNow()
            let wantsWrite = connected && (pendingOffset < pendingLine.count || hasLine)
            if let closeAt, now >= closeAt || (connected && !wantsWrite) {
                guarded.withLock { g in
                    if case .failed = g.currentState {} else { g.currentState = .closed }
                    g.dropQueue()
                }
                if connected { _ = shutdown(fd, Int32(SHUT_RDWR)) }
                return
            }
            var timeout = 0.5
            if !connected { timeout = min(timeout, connectDeadline - now) }
            if let closeAt { timeout = min(timeout, closeAt - now) }
            let socketEvents: Int16 = connected ? (pollIn | (wantsWrite ? pollOut : 0)) : pollOut
            let revents = pollDescriptors([(wakeup.readEnd, pollIn), (fd, socketEvents)], timeout: timeout)
            if revents[0] != 0 { wakeup.drain() }

            if !connected {
                if revents[1] != 0 {
                    let code = Socket.connectResult(fd)
                    guard code == 0 else {
                        return fail("cannot connect to the front end at \(address): \(Socket.message(code))")
                    }
                    connected = true
                    guarded.withLock { g in if case .connecting = g.currentState { g.currentState = .connected } }
                } else if monotonicNow() >= connectDeadline {
                    return fail("cannot connect to the front end at \(address): timed out after \(connectTimeout) s")
                }
                continue
            }

            // Events going out first, as many as the socket takes now. (Writing before reading
            // means a front end that closed is met by a write, which fails with EPIPE: the
            // path MSG_NOSIGNAL guards, exercised by the tests.)
            writeLoop: while true {
                if pendingOffset >= pendingLine.count {
                    guard let line = nextLine() else { break }
                    pendingLine = line
                    pendingOffset = 0
                }
                let io = pendingLine.withUnsafeBytes {
                    Socket.sendSome(fd, UnsafeRawBufferPointer(rebasing: $0[pendingOffset...]))
                }
                switch io {
                case .done(let n):
                    pendingOffset += n
                    guarded.withLock { $0.stats.sentBytes += n }
                    if pendingOffset == pendingLine.count { guarded.withLock { $0.stats.sentEvents += 1 } }
                case .wouldBlock:
                    break writeLoop
                case .closed:
                    return fail("the front end at \(address) closed the connection")
                case .failed(let code):
                    return fail("lost the front end at \(address): \(Socket.message(code))")
                }
            }

            // Commands coming back, and the end of the connection.
            if revents[1] & (pollIn | pollError) != 0 {
                var reads = 0
                readLoop: while reads < 16 {
                    reads += 1
                    let io = readBuffer.withUnsafeMutableBytes { Socket.receive(fd, into: $0) }
                    switch io {
                    case .done(let n):
                        acceptCommands(readBuffer.withUnsafeBytes { splitter.append(raw: UnsafeRawBufferPointer(rebasing: $0[0..<n])) })
                    case .wouldBlock:
                        break readLoop
                    case .closed:
                        return fail("the front end at \(address) closed the connection")
                    case .failed(let code):
                        return fail("lost the front end at \(address): \(Socket.message(code))")
                    }
                }
            }
        }
    }

    private func acceptCommands(_ pieces: [LineSplitter.Piece]) {
        guard !pieces.isEmpty else { return }
        let maxLineLength = self.maxLineLength
        guarded.withLock { g in
            for piece in pieces {
                switch piece {
                case .overlong(let bytes):
                    g.stats.commandLines.reject(.tooLong(bytes: bytes))
                case .line(let bytes):
                    switch ControlCommand.decode(bytes, maxLength: maxLineLength) {
                    case .success(let command):
                        g.stats.commandLines.accept()
                        if g.commands.count < Self.commandLimit { g.commands.append(command) }
                    case .failure(let reason):
                        g.stats.commandLines.reject(reason)
                    }
                }
            }
        }
    }
}
