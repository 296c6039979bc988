#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RunSpec
import Synchronization

/// The front end's end of the heartbeats: one listener, one connection per rank. A connection
/// counts once its first frame is a hello carrying the launch's token; anything else (no hello
/// within `handshakeTimeout`, a wrong token, an unknown or malformed frame) closes it unread
/// and is counted by reason. After the hello, each beat replaces the rank's latest; a malformed
/// frame closes the connection (counted). A closed connection stays on the board with the time
/// it closed: for a rank that did not finish, that is the moment its process died.
public final class HeartbeatReceiver: Sendable {
    /// One rank's connection as the front end saw it (times are the front end's clock).
    public struct Pulse: Equatable, Sendable {
        public var hello: HeartbeatHello
        public var connectedAt: Double
        /// When the newest beat (or the hello) arrived.
        public var lastHeardAt: Double
        public var latest: Heartbeat?
        public var beats = 0
        /// When the connection closed; nil while it is open.
        public var closedAt: Double?

        public init(hello: HeartbeatHello, connectedAt: Double, lastHeardAt: Double) {
            self.hello = hello
            self.connectedAt = connectedAt
            self.lastHeardAt = lastHeardAt
        }
    }

    public struct Statistics: Equatable, Sendable {
        /// Connections that presented the token.
        public var admitted = 0
        /// Connections closed before presenting it, per reason: wrong_token, not_hello, too_long,
        /// unknown_type, bad_magic, bad_version, malformed, handshake_timeout, closed_early,
        /// too_many_pending.
        public var refusedByReason: [String: Int] = [:]
        /// Admitted connections closed for a bad frame, per reason (as above, and second_hello).
        public var brokenByReason: [String: Int] = [:]
        public var beats = 0
        public var refused: Int { refusedByReason.values.reduce(0, +) }
    }

    public let address: TelemetryAddress
    public let handshakeTimeout: Double
    private let token: String
    private let listener: Int32
    private let wakeup: Wakeup
    private let maxPending: Int
    private struct Guarded {
        var pulses: [Pulse] = []
        var stats = Statistics()
        var stopping = false
    }
    private let guarded = Mutex(Guarded())
    private let finished = DispatchSemaphore(value: 0)

    /// Binds (as `TelemetryReceiver` does: loopback by default) and starts at once.
    public init(host: String = "127.0.0.1", port: UInt16 = 0, advertisedHost: String? = nil, token: String,
                handshakeTimeout: Double = 10, maxPending: Int = 8192) throws {
        precondition(!token.isEmpty, "the heartbeat token must not be empty")
        let (fd, boundPort) = try Socket.makeListener(host: host, port: port, backlog: 4096)
        listener = fd
        do { wakeup = try Wakeup() } catch { closeDescriptor(fd); throw error }
        let wildcard = host == "0.0.0.0" || host == "::" || host.isEmpty
        address = TelemetryAddress(host: advertisedHost ?? (wildcard ? ProcessInfo.processInfo.hostName : host), port: boundPort)
        self.token = token
        self.handshakeTimeout = handshakeTimeout
        self.maxPending = maxPending
        let thread = Thread { [self] in run() }
        thread.name = "meshtop.heartbeat.receiver"
        thread.start()
    }

    /// `MESHTOP_HEARTBEAT` for the ranks' environment (the token travels as the telemetry one).
    public var environment: [String: String] { [HeartbeatEnvironment.addressVariable: address.description] }

    /// Every rank connection admitted so far, in the order they were admitted.
    public var pulses: [Pulse] { guarded.withLock { $0.pulses } }
    public var statistics: Statistics { guarded.withLock { $0.stats } }

    public func close() {
        let first = guarded.withLock { g -> Bool in
            defer { g.stopping = true }
            return !g.stopping
        }
        guard first else { return }
        wakeup.signal()
        finished.wait()
    }

    deinit { close() }

    // MARK: - the thread

    private struct Connection {
        let fd: Int32
        /// nil until the hello; then the index of its pulse.
        var pulse: Int?
        let deadline: Double
        var bytes: [UInt8] = []
    }

    private func run() {
        defer { finished.signal() }
        var connections: [Connection] = []
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        defer {
            connections.forEach { closeDescriptor($0.fd) }
            closeDescriptor(listener)
        }
        while !guarded.withLock({ $0.stopping }) {
            var requests: [(fd: Int32, events: Int16)] = [(wakeup.readEnd, pollIn), (listener, pollIn)]
            requests += connections.map { ($0.fd, pollIn) }
            let revents = pollDescriptors(requests, timeout: 0.25)
            if revents[0] != 0 { wakeup.drain() }
            let now = Date().timeIntervalSince1970
            let clock = monotonicNow()
            var kept: [Connection] = []
            kept.reserveCapacity(connections.count)
            // The turn's beats go onto the board under one lock, not one each.
            var beats: [(pulse: Int, beat: Heartbeat)] = []
            for (index, var connection) in connections.enumerated() {
                let verdict = revents[2 + index] != 0 ? read(&connection, buffer: &buffer, beats: &beats, now: now) : nil
                if let verdict {
                    end(connection, verdict, now: now)
                } else if connection.pulse == nil && clock >= connection.deadline {
                    end(connection, "handshake_timeout", now: now)
                } else {
                    kept.append(connection)
                }
            }
            connections = kept
            if !beats.isEmpty {
                guarded.withLock { g in
                    g.stats.beats += beats.count
                    for (index, beat) in beats {
                        g.pulses[index].latest = beat
                        g.pulses[index].lastHeardAt = now
                        g.pulses[index].beats += 1
                    }
                }
            }
            if revents[1] != 0 {
                while let fd = Socket.acceptConnection(listener) {
                    let waiting = connections.filter { $0.pulse == nil }.count
                    if waiting >= maxPending, let oldest = connections.firstIndex(where: { $0.pulse == nil }) {
                        end(connections.remove(at: oldest), "too_many_pending", now: now)
                    }
                    connections.append(Connection(fd: fd, deadline: clock + handshakeTimeout))
                }
            }
            // Thousands of ranks beat once a second each: take them in batches, not one wake-up each.
            if connections.count > 256 { usleep(100_000) }
        }
    }

    /// Reads what is there and handles whole frames; the reason to close, or nil to go on.
    private func read(_ connection: inout Connection, buffer: inout [UInt8], beats: inout [(pulse: Int, beat: Heartbeat)],
                      now: Double) -> String? {
        for _ in 0..<4 {
            switch buffer.withUnsafeMutableBytes({ Socket.receive(connection.fd, into: $0) }) {
            case .done(let n):
                connection.bytes += buffer[0..<n]
                if let verdict = frames(&connection, beats: &beats, now: now) { return verdict }
            case .wouldBlock: return nil
            case .closed, .failed: return connection.pulse == nil ? "closed_early" : "closed"
            }
        }
        return nil
    }

    private func frames(_ connection: inout Connection, beats: inout [(pulse: Int, beat: Heartbeat)], now: Double) -> String? {
        var at = 0
        defer { connection.bytes.removeFirst(at) }
        while connection.bytes.count - at >= 2 {
            let length = Int(connection.bytes[at]) | Int(connection.bytes[at + 1]) << 8
            guard length <= HeartbeatFrame.maxLength else { return "too_long" }
            guard connection.bytes.count - at - 2 >= length else { return nil }
            let body = connection.bytes[(at + 2)..<(at + 2 + length)]
            at += 2 + length
            let frame: HeartbeatFrame
            do { frame = try HeartbeatFrame.decode(body) } catch { return error.category }
            switch (frame, connection.pulse) {
            case let (.hello(hello, presented), nil):
                guard TelemetryToken.matches(presented, token) else { return "wrong_token" }
                connection.pulse = guarded.withLock { g in
                    g.stats.admitted += 1
                    g.pulses.append(Pulse(hello: hello, connectedAt: now, lastHeardAt: now))
                    return g.pulses.count - 1
                }
            case (.beat, nil):
                return "not_hello"
            case (.hello, _?):
                return "second_hello"
            case let (.beat(beat), index?):
                beats.append((index, beat))
            }
        }
        return nil
    }

    private func end(_ connection: Connection, _ reason: String, now: Double) {
        closeDescriptor(connection.fd)
        guarded.withLock { g in
            if let index = connection.pulse {
                g.pulses[index].closedAt = now
                if reason != "closed" { g.stats.brokenByReason[reason, default: 0] += 1 }
            } else {
                g.stats.refusedByReason[reason, default: 0] += 1
            }
        }
    }
}
