#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RunSpec
import Synchronization

/// Every rank's heartbeat: its own thread, its own TCP connection to the front end, a beat every
/// `interval` from `activity()`, whatever the training loop is doing (blocked in a collective
/// included: the thread never calls MPI). The connection is the rank's lifeline too: when the
/// process dies, however, its kernel closes it and the front end sees it at once.
///
/// Never blocks the caller, never throws at it: a front end that cannot be reached is tried again
/// each interval and reported once; a beat that does not fit the socket's buffer is skipped.
///
/// With a `lifeline`: when the connection breaks (anything but the front end closing it: beats
/// unacknowledged for that long, TCP_USER_TIMEOUT, or the network unreachable) and cannot be made
/// again for that long, `lifelineLost` is called: a rank cut off from its front end ends, rather
/// than wait in a collective for ranks that were torn down. A front end that is only slow or
/// stopped still acknowledges (its kernel does), and one that exits closes the connection: neither
/// trips it.
public final class HeartbeatSender: Sendable {
    public let address: TelemetryAddress
    public let interval: Double
    private let hello: [UInt8]
    private let activity: @Sendable () -> RankActivity
    private let report: @Sendable (String) -> Void
    private let stopping = Atomic(false)
    private let beatsSent = Atomic(0)
    private let wakeup: Wakeup
    private let finished = DispatchSemaphore(value: 0)
    /// Seconds without acknowledgement after which `lifelineLost` is called (0: never).
    public let lifeline: Double
    private let lifelineLost: @Sendable (String) -> Void

    public init(address: TelemetryAddress, token: String, hello: HeartbeatHello, interval: Double = 1,
                lifeline: Double = 0, lifelineLost: @escaping @Sendable (String) -> Void = { _ in },
                activity: @escaping @Sendable () -> RankActivity, report: @escaping @Sendable (String) -> Void) throws {
        self.address = address
        self.interval = interval
        self.lifeline = lifeline
        self.lifelineLost = lifelineLost
        self.hello = HeartbeatFrame.hello(hello, token: token).encoded()
        self.activity = activity
        self.report = report
        wakeup = try Wakeup()
        let thread = Thread { [self] in run() }
        thread.name = "meshtop.heartbeat"
        thread.start()
    }

    /// The sender `meshtop run` asked for through the environment, or nil (no front end, or a
    /// malformed address: said once through `report`).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       hello: HeartbeatHello, lifeline: Double = 0,
                                       lifelineLost: @escaping @Sendable (String) -> Void = { _ in },
                                       activity: @escaping @Sendable () -> RankActivity,
                                       report: @escaping @Sendable (String) -> Void) -> HeartbeatSender? {
        guard let text = environment[HeartbeatEnvironment.addressVariable], !text.isEmpty else { return nil }
        guard let address = TelemetryAddress(text) else {
            report("\(HeartbeatEnvironment.addressVariable)=\(text) is not host:port: no heartbeat")
            return nil
        }
        guard let token = environment[TelemetryEnvironment.tokenVariable], !token.isEmpty else {
            report("\(HeartbeatEnvironment.addressVariable) is set but \(TelemetryEnvironment.tokenVariable) is not: no heartbeat")
            return nil
        }
        do {
            return try HeartbeatSender(address: address, token: token, hello: hello, lifeline: lifeline,
                                       lifelineLost: lifelineLost, activity: activity, report: report)
        } catch {
            report("heartbeat: \(error)")
            return nil
        }
    }

    /// Beats written whole so far.
    public var sent: Int { beatsSent.load(ordering: .relaxed) }

    /// Sends a last beat (the activity now) if connected, and ends the thread.
    public func close() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        wakeup.signal()
        finished.wait()
    }

    deinit { close() }

    // MARK: - the thread

    private func run() {
        defer { finished.signal() }
        var fd: Int32 = -1
        var sequence = 0
        var reported = false
        var pending: [UInt8] = []
        /// Since when the connection has been broken (not closed by the front end).
        var cutOffSince: Double?
        defer { if fd >= 0 { closeDescriptor(fd) } }
        while true {
            let last = stopping.load(ordering: .relaxed)
            if fd < 0 {
                switch connect() {
                case .success(let socket):
                    fd = socket
                    cutOffSince = nil
                    if lifeline > 0 {
                        var milliseconds = UInt32(lifeline * 1000)
                        setsockopt(fd, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, &milliseconds, socklen_t(MemoryLayout<UInt32>.size))
                    }
                    pending = hello
                    if reported { report("heartbeat: connected to the front end at \(address)") }
                    reported = false
                case .failure(let why):
                    if let since = cutOffSince, lifeline > 0, monotonicNow() - since >= lifeline {
                        lifelineLost("cut off from the front end at \(address) for \(Int(lifeline)) s (\(why))")
                    }
                    if !reported { report("heartbeat: cannot reach the front end at \(address) (\(why)); trying again every \(interval) s") }
                    reported = true
                }
            }
            if fd >= 0 {
                sequence += 1
                // A beat goes out whole or not at all: one stuck behind a full buffer is stale anyway.
                if pending.count < 4096 {
                    pending += HeartbeatFrame.beat(Heartbeat(sequence: sequence, sentAt: Date().timeIntervalSince1970,
                                                             activity: activity())).encoded()
                }
                let failure = flush(fd, &pending) ?? peerClosed(fd)
                if let failure {
                    // Closed by the front end (it ended) is no cut: only a broken connection counts.
                    if failure != 0 && cutOffSince == nil { cutOffSince = monotonicNow() - (failure == ETIMEDOUT ? lifeline : 0) }
                    closeDescriptor(fd)
                    fd = -1
                    pending = []
                } else if pending.isEmpty {
                    beatsSent.add(1, ordering: .relaxed)
                }
            }
            if last { return }
            _ = pollDescriptors([(wakeup.readEnd, pollIn)], timeout: interval)
            wakeup.drain()
        }
    }

    private func connect() -> Result<Int32, SocketError> {
        do {
            let fd = try Socket.startConnect(host: address.host, port: address.port)
            let revents = pollDescriptors([(fd, pollOut)], timeout: min(1, interval))
            let code = revents[0] == 0 ? ETIMEDOUT : Socket.connectResult(fd)
            guard code == 0 else {
                closeDescriptor(fd)
                return .failure(SocketError("connect", code: code))
            }
            return .success(fd)
        } catch let error as SocketError {
            return .failure(error)
        } catch {
            return .failure(SocketError("connect", message: "\(error)"))
        }
    }

    /// Writes what it can; the errno when the connection failed (0: closed), else nil.
    private func flush(_ fd: Int32, _ pending: inout [UInt8]) -> Int32? {
        while !pending.isEmpty {
            switch pending.withUnsafeBytes({ Socket.sendSome(fd, $0) }) {
            case .done(let n): pending.removeFirst(n)
            case .wouldBlock: return nil
            case .closed: return 0
            case .failed(let code): return code
            }
        }
        return nil
    }

    /// The front end never writes: readable means it closed (or broke) the connection; then the
    /// errno (0: closed), else nil.
    private func peerClosed(_ fd: Int32) -> Int32? {
        let revents = pollDescriptors([(fd, pollIn)], timeout: 0)[0]
        guard revents != 0 else { return nil }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        if n < 0 { return errno == EAGAIN ? (revents & pollError != 0 ? Socket.connectResult(fd) : nil) : errno }
        return n == 0 ? 0 : nil
    }
}

/// Where the ranks send their heartbeats (`meshtop run` sets it; the token is the telemetry one).
public enum HeartbeatEnvironment {
    public static let addressVariable = "MESHTOP_HEARTBEAT"
}
