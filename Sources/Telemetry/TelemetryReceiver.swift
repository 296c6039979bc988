#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// The front end's end of the stream: listens (127.0.0.1 and an ephemeral port by default),
/// authenticates rank 0 by the token in its first line, and turns its lines into events.
///
/// At most one session is live at a time. A connection is closed without reading further when
/// a session is already live, when its first line is not a `hello` of this schema carrying the
/// right token, when that line does not arrive within `handshakeTimeout` or is over-long; none
/// of its bytes reach the event stream. After a session ends another may start (a relaunch with
/// the same token). Inside a session every line is parsed; a malformed one is counted as
/// rejected, with its reason, and the session goes on.
///
/// One background thread does the socket work; the dashboard takes what arrived with `drain()`
/// (or waits with `next(timeout:)`) and sends commands back with `send(_:)`.
public final class TelemetryReceiver: Sendable {
    public enum Item: Equatable, Sendable {
        /// A connection presented the token: a session began (its hello follows as a record).
        case sessionStarted
        case record(TelemetryRecord)
        /// The session ended (rank 0 closed the connection, or it failed: the reason says).
        case sessionEnded(String)
        /// A connection was closed unread; the reason says why.
        case connectionRefused(String)
    }

    public struct Statistics: Equatable, Sendable {
        public var sessions = 0
        public var refusedConnections = 0
        /// Refused connections per reason: session_live, wrong_token, missing_token, not_hello,
        /// bad_schema, handshake_timeout, closed_early, too_many_pending.
        public var refusedByReason: [String: Int] = [:]
        /// Lines of sessions (the hellos included), accepted and rejected by reason.
        public var lines = LineCounts()
        /// Items dropped because nobody drained the inbox.
        public var droppedItems = 0
        public var receivedBytes = 0
    }

    /// Where the ranks connect (the advertised host and the bound port).
    public let address: TelemetryAddress
    public let token: String
    public let maxLineLength: Int
    public let handshakeTimeout: Double

    private let listener: Int32
    private let wakeup: Wakeup
    private let inboxLimit: Int
    /// What the dashboard's threads and the background thread share.
    private struct Guarded {
        var inbox: [Item] = []
        var stats = Statistics()
        var outbox: [UInt8] = []
        var live = false
        var stopping = false
    }
    private let guarded = Mutex(Guarded())
    /// Signals that items arrived: taken around every change to the inbox that adds to it, and
    /// by `next(timeout:)` around its check and wait, so no wake-up is lost.
    private let arrived = NSCondition()
    private let finished = DispatchSemaphore(value: 0)

    /// Binds and starts listening at once.
    /// - Parameters:
    ///   - host: the address to bind: "127.0.0.1" (default) or, for ranks on other nodes,
    ///     "0.0.0.0" or an interface's address.
    ///   - port: 0 lets the kernel pick a free port.
    ///   - advertisedHost: the host the ranks should connect to; default `host`, or this
    ///     machine's name when `host` is a wildcard.
    public init(host: String = "127.0.0.1", port: UInt16 = 0, advertisedHost: String? = nil,
                token: String = TelemetryToken.generate(), maxLineLength: Int = TelemetrySchema.maxLineLength,
                handshakeTimeout: Double = 10, inboxLimit: Int = 100_000) throws {
        precondition(!token.isEmpty, "the telemetry token must not be empty")
        let (fd, boundPort) = try Socket.makeListener(host: host, port: port)
        listener = fd
        do { wakeup = try Wakeup() } catch { closeDescriptor(fd); throw error }
        let wildcard = host == "0.0.0.0" || host == "::" || host.isEmpty
        address = TelemetryAddress(host: advertisedHost ?? (wildcard ? ProcessInfo.processInfo.hostName : host),
                                   port: boundPort)
        self.token = token
        self.maxLineLength = maxLineLength
        self.handshakeTimeout = handshakeTimeout
        self.inboxLimit = inboxLimit
        let thread = Thread { [self] in run() }
        thread.name = "meshtop.telemetry.receiver"
        thread.start()
    }

    /// `MESHTOP_TELEMETRY` and `MESHTOP_TELEMETRY_TOKEN` for the ranks' environment.
    public var environment: [String: String] { TelemetryEnvironment.variables(address: address, token: token) }

    /// Whether a session is live now (commands can be sent).
    public var isSessionLive: Bool { guarded.withLock { $0.live } }

    public var statistics: Statistics { guarded.withLock { $0.stats } }

    /// Everything that arrived since the last call, oldest first. Never blocks.
    public func drain() -> [Item] {
        guarded.withLock { g in
            defer { g.inbox.removeAll(keepingCapacity: true) }
            return g.inbox
        }
    }

    /// The oldest item, waiting at most `timeout` seconds for one.
    public func next(timeout: Double) -> Item? {
        let deadline = Date().addingTimeInterval(timeout)
        arrived.lock()
        defer { arrived.unlock() }
        while guarded.withLock({ $0.inbox.isEmpty }) {
            if !arrived.wait(until: deadline) { break }
        }
        return guarded.withLock { $0.inbox.isEmpty ? nil : $0.inbox.removeFirst() }
    }

    /// Sends a command to rank 0; false (and nothing sent) when no session is live or a
    /// megabyte of commands is already waiting.
    @discardableResult
    public func send(_ command: ControlCommand) -> Bool {
        let line = command.line()
        let queued = guarded.withLock { g -> Bool in
            guard g.live, g.outbox.count + line.count <= 1 << 20 else { return false }
            g.outbox.append(contentsOf: line)
            return true
        }
        if queued { wakeup.signal() }
        return queued
    }

    /// Stops listening and closes every connection; returns when the thread is done.
    public func close() {
        let first = guarded.withLock { g -> Bool in
            defer { g.stopping = true }
            return !g.stopping
        }
        guard first else { return }
        wakeup.signal()
        finished.wait()
    }

    // MARK: - the background thread

    private struct Pending {
        let fd: Int32
        let deadline: Double
        var splitter: LineSplitter
    }

    private struct Session {
        let fd: Int32
        var splitter: LineSplitter
    }

    private func deliver(_ items: [Item], lines: LineCounts? = nil, update: (inout Statistics) -> Void = { _ in }) {
        let inboxLimit = self.inboxLimit
        arrived.withLock {
            guarded.withLock { g in
                update(&g.stats)
                if let lines { g.stats.lines = lines }
                for item in items {
                    if g.inbox.count >= inboxLimit {
                        g.inbox.removeFirst()
                        g.stats.droppedItems += 1
                    }
                    g.inbox.append(item)
                }
            }
            if !items.isEmpty { arrived.broadcast() }
        }
    }

    /// Counts, then closes: whoever sees the connection closed sees it counted.
    private func refuse(_ fd: Int32, category: String, _ reason: String) {
        deliver([.connectionRefused(reason)]) {
            $0.refusedConnections += 1
            $0.refusedByReason[category, default: 0] += 1
        }
        closeDescriptor(fd)
    }

    private static let maxPending = 16

    private func run() {
        defer { finished.signal() }
        var pending: [Pending] = []
        var session: Session?
        // One parser for the receiver's life: its counts cover every session.
        var parser = EventParser(maxLength: maxLineLength)
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        defer {
            pending.forEach { closeDescriptor($0.fd) }
            if let session { closeDescriptor(session.fd) }
            closeDescriptor(listener)
            guarded.withLock { $0.live = false }
        }

        func endSession(_ reason: String) {
            guard var current = session else { return }
            var items: [Item] = []
            for piece in current.splitter.finish() { items += handle(piece, parser: &parser) }
            closeDescriptor(current.fd)
            session = nil
            guarded.withLock { $0.live = false; $0.outbox.removeAll() }
            deliver(items + [.sessionEnded(reason)], lines: parser.counts)
        }

        while true {
            let (stop, hasOutput) = guarded.withLock { ($0.stopping, !$0.outbox.isEmpty) }
            if stop { return }
            var requests: [(fd: Int32, events: Int16)] = [(wakeup.readEnd, pollIn), (listener, pollIn)]
            requests += pending.map { ($0.fd, pollIn) }
            if let session { requests.append((session.fd, pollIn | (hasOutput ? pollOut : 0))) }
            let now = monotonicNow()
            let timeout = pending.map { $0.deadline - now }.reduce(0.5, min)
            let revents = pollDescriptors(requests, timeout: timeout)
            if revents[0] != 0 { wakeup.drain() }

            // The session first: its bytes, then commands out.
            if var current = session, let events = revents.last, events != 0 {
                var items: [Item] = []
                var ended: String?
                if events & (pollIn | pollError) != 0 {
                    var reads = 0
                    readLoop: while reads < 16 {
                        reads += 1
                        switch buffer.withUnsafeMutableBytes({ Socket.receive(current.fd, into: $0) }) {
                        case .done(let n):
                            guarded.withLock { $0.stats.receivedBytes += n }
                            for piece in current.splitter.append(buffer[0..<n]) {
                                items += handle(piece, parser: &parser)
                            }
                        case .wouldBlock:
                            break readLoop
                        case .closed:
                            ended = "rank 0 closed the connection"
                            break readLoop
                        case .failed(let code):
                            ended = "connection failed: \(Socket.message(code))"
                            break readLoop
                        }
                    }
                }
                if ended == nil && events & pollOut != 0 {
                    ended = writeCommands(&current)
                }
                session = current
                deliver(items, lines: parser.counts)
                if let ended { endSession(ended) }
            }

            // Connections waiting for their first line.
            var stillPending: [Pending] = []
            for (index, var connection) in pending.enumerated() {
                var pieces: [LineSplitter.Piece] = []
                var closedEarly = false
                if revents[2 + index] != 0 {
                    readLoop: for _ in 0..<4 {
                        switch buffer.withUnsafeMutableBytes({ Socket.receive(connection.fd, into: $0) }) {
                        case .done(let n):
                            pieces = connection.splitter.append(buffer[0..<n])
                            if !pieces.isEmpty { break readLoop }
                        case .wouldBlock:
                            break readLoop
                        case .closed, .failed:
                            closedEarly = true
                            break readLoop
                        }
                    }
                }
                if let first = pieces.first {
                    if session != nil {
                        refuse(connection.fd, category: "session_live", "a session is already live")
                    } else if case .line(let line) = first {
                        if let (category, reason) = verify(line) {
                            refuse(connection.fd, category: category, reason)
                        } else {
                            // Authenticated: the connection becomes the session, with the rest of its bytes.
                            session = Session(fd: connection.fd, splitter: connection.splitter)
                            guarded.withLock { $0.live = true; $0.outbox.removeAll() }
                            var items: [Item] = [.sessionStarted]
                            for piece in pieces { items += handle(piece, parser: &parser) }
                            deliver(items, lines: parser.counts) { $0.sessions += 1 }
                        }
                    } else {
                        refuse(connection.fd, category: "not_hello", "first line longer than \(maxLineLength) bytes")
                    }
                } else if closedEarly {
                    refuse(connection.fd, category: "closed_early", "closed before its first line")
                } else if monotonicNow() >= connection.deadline {
                    refuse(connection.fd, category: "handshake_timeout", "no first line within \(handshakeTimeout) s")
                } else {
                    stillPending.append(connection)
                }
            }
            pending = stillPending

            // New connections.
            if revents[1] != 0 {
                while let fd = Socket.acceptConnection(listener) {
                    if session != nil {
                        refuse(fd, category: "session_live", "a session is already live")
                    } else {
                        // Idle connections cannot crowd rank 0 out: the oldest waiting one goes.
                        if pending.count >= Self.maxPending {
                            refuse(pending.removeFirst().fd, category: "too_many_pending",
                                   "evicted: \(Self.maxPending) newer connections wait for their first line")
                        }
                        pending.append(Pending(fd: fd, deadline: monotonicNow() + handshakeTimeout,
                                               splitter: LineSplitter(maxLength: maxLineLength)))
                    }
                }
            }
        }
    }

    /// nil when `line` is a hello of this schema with the right token; else the refusal's
    /// category and reason.
    private func verify(_ line: [UInt8]) -> (String, String)? {
        switch LineCoding.decode(line, maxLength: maxLineLength) {
        case .failure(let reason):
            return ("not_hello", "first line rejected: \(reason)")
        case .success(let parsed):
            guard case .hello(let hello) = parsed.record.event else {
                return ("not_hello", "first line is a \(parsed.record.event.kind.rawValue), not a hello")
            }
            guard let presented = parsed.token else { return ("missing_token", "hello without a token") }
            guard TelemetryToken.matches(presented, token) else { return ("wrong_token", "hello with a wrong token") }
            guard hello.schema == TelemetrySchema.version else {
                return ("bad_schema", "schema \(hello.schema), this front end reads \(TelemetrySchema.version)")
            }
            return nil
        }
    }

    private func handle(_ piece: LineSplitter.Piece, parser: inout EventParser) -> [Item] {
        switch piece {
        case .overlong(let bytes):
            parser.rejectOverlong(bytes: bytes)
            return []
        case .line(let line):
            if case .success(let parsed) = parser.parse(line) { return [.record(parsed.record)] }
            return []
        }
    }

    /// Writes what it can of the outbox; a reason when the connection failed.
    private func writeCommands(_ session: inout Session) -> String? {
        let bytes = guarded.withLock { $0.outbox }
        guard !bytes.isEmpty else { return nil }
        var written = 0
        var failure: String?
        while written < bytes.count {
            let io = bytes.withUnsafeBytes { Socket.sendSome(session.fd, UnsafeRawBufferPointer(rebasing: $0[written...])) }
            if case .done(let n) = io { written += n; continue }
            if case .failed(let code) = io { failure = "connection failed: \(Socket.message(code))" }
            break
        }
        guarded.withLock { $0.outbox.removeFirst(min(written, $0.outbox.count)) }
        return failure
    }
}
