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

    public init(address: TelemetryAddress, token: String, hello: HeartbeatHello, interval: Double = 1,
                activity: @escaping @Sendable () -> RankActivity, report: @escaping @Sendable (String) -> Void) throws {
        self.address = address
        self.interval = interval
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
                                       hello: HeartbeatHello, activity: @escaping @Sendable () -> RankActivity,
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
            return try HeartbeatSender(address: address, token: token, hello: hello, activity: activity, report: report)
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
        defer { if fd >= 0 { closeDescriptor(fd) } }
        while true {
            let last = stopping.load(ordering: .relaxed)
            if fd < 0 {
                switch connect() {
                case .success(let socket):
                    fd = socket
                    pending = hello
                    if reported { report("heartbeat: connected to the front end at \(address)") }
                    reported = false
                case .failure(let why):
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
                if !flush(fd, &pending) || peerClosed(fd) {
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

    /// Writes what it can; false when the connection failed.
    private func flush(_ fd: Int32, _ pending: inout [UInt8]) -> Bool {
        while !pending.isEmpty {
            switch pending.withUnsafeBytes({ Socket.sendSome(fd, $0) }) {
            case .done(let n): pending.removeFirst(n)
            case .wouldBlock: return true
            case .closed, .failed: return false
            }
        }
        return true
    }

    /// The front end never writes: readable means it closed (or broke) the connection.
    private func peerClosed(_ fd: Int32) -> Bool {
        let revents = pollDescriptors([(fd, pollIn)], timeout: 0)[0]
        guard revents != 0 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT)) <= 0 || revents & pollError != 0
    }
}

/// Where the ranks send their heartbeats (`meshtop run` sets it; the token is the telemetry one).
public enum HeartbeatEnvironment {
    public static let addressVariable = "MESHTOP_HEARTBEAT"
}
