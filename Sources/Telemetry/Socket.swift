#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A failed system call, with errno's text.
public struct SocketError: Error, Equatable, Sendable, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    public let description: String

    init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
        description = "\(operation): \(String(cString: strerror(code)))"
    }

    init(_ operation: String, message: String) {
        self.operation = operation
        code = 0
        description = "\(operation): \(message)"
    }
}

/// Thin wrappers over POSIX sockets: every descriptor non-blocking and close-on-exec (the ranks
/// mpirun starts must not inherit the front end's listener).
enum Socket {
    #if os(Linux)
    static let noSignal = Int32(MSG_NOSIGNAL)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    static let noSignal: Int32 = 0  // Darwin: SO_NOSIGPIPE on each socket instead
    static let streamType = SOCK_STREAM
    #endif

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        #if !os(Linux)
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// The addresses of `host:port` (numeric or a name).
    static func resolve(host: String, port: UInt16, passive: Bool) throws -> [(family: Int32, address: [UInt8])] {
        var hints = addrinfo()
        hints.ai_socktype = streamType
        hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw SocketError("resolve \(host)", message: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var results: [(Int32, [UInt8])] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let entry = node {
            if let address = entry.pointee.ai_addr,
               entry.pointee.ai_family == AF_INET || entry.pointee.ai_family == AF_INET6 {
                let bytes = Array(UnsafeRawBufferPointer(start: address, count: Int(entry.pointee.ai_addrlen)))
                results.append((entry.pointee.ai_family, bytes))
            }
            node = entry.pointee.ai_next
        }
        guard !results.isEmpty else { throw SocketError("resolve \(host)", message: "no IPv4 or IPv6 address") }
        return results
    }

    /// A listening socket on `host:port` (port 0: the kernel picks) and the port it got.
    static func makeListener(host: String, port: UInt16, backlog: Int32 = 16) throws -> (fd: Int32, port: UInt16) {
        let (family, address) = try resolve(host: host, port: port, passive: true)[0]
        let fd = socket(family, streamType, 0)
        guard fd >= 0 else { throw SocketError("socket") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setNonBlocking(fd)
        let bound = address.withUnsafeBytes {
            bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(address.count))
        }
        guard bound == 0 else { let e = SocketError("bind \(host):\(port)"); close(fd); throw e }
        guard listen(fd, backlog) == 0 else { let e = SocketError("listen"); close(fd); throw e }
        return (fd, try localPort(fd))
    }

    static func localPort(_ fd: Int32) throws -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { throw SocketError("getsockname") }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer -> UInt16 in
            if family == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    /// Starts a non-blocking connect; the descriptor becomes writable when it completes
    /// (then `connectResult` says how).
    static func startConnect(host: String, port: UInt16) throws -> Int32 {
        let (family, address) = try resolve(host: host, port: port, passive: false)[0]
        let fd = socket(family, streamType, 0)
        guard fd >= 0 else { throw SocketError("socket") }
        setNonBlocking(fd)
        let status = address.withUnsafeBytes {
            connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(address.count))
        }
        if status != 0 && errno != EINPROGRESS {
            let e = SocketError("connect \(host):\(port)")
            close(fd)
            throw e
        }
        return fd
    }

    /// 0 when a started connect succeeded, else its errno.
    static func connectResult(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return errno }
        return code
    }

    /// An accepted connection, non-blocking, or nil when none is waiting.
    static func acceptConnection(_ listener: Int32) -> Int32? {
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { return nil }
        setNonBlocking(fd)
        return fd
    }

    enum IO: Equatable {
        case done(Int)
        case wouldBlock
        case closed
        case failed(Int32)
    }

    /// One non-blocking send that never raises SIGPIPE.
    static func sendSome(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> IO {
        let n = send(fd, bytes.baseAddress, bytes.count, noSignal)
        if n >= 0 { return .done(n) }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return .wouldBlock }
        return .failed(code)
    }

    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IO {
        let n = recv(fd, buffer.baseAddress, buffer.count, 0)
        if n > 0 { return .done(n) }
        if n == 0 { return .closed }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return .wouldBlock }
        return .failed(code)
    }

    static func message(_ code: Int32) -> String { String(cString: strerror(code)) }
}

/// A self-pipe that wakes a thread blocked in poll().
final class Wakeup: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SocketError("pipe") }
        readEnd = fds[0]
        writeEnd = fds[1]
        Socket.setNonBlocking(readEnd)
        Socket.setNonBlocking(writeEnd)
    }

    /// Never blocks: a full pipe already means "wake up".
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    func drain() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &bytes, bytes.count) > 0 {}
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }
}

func closeDescriptor(_ fd: Int32) { _ = close(fd) }

/// Monotonic seconds.
func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// poll() on the given descriptors for at most `timeout` seconds; returns their revents.
func pollDescriptors(_ requests: [(fd: Int32, events: Int16)], timeout: Double) -> [Int16] {
    var fds = requests.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
    let milliseconds = Int32(max(0, min(timeout, 3600)) * 1000)
    let status = poll(&fds, nfds_t(fds.count), milliseconds)
    guard status > 0 else { return Array(repeating: 0, count: fds.count) }
    return fds.map(\.revents)
}

let pollIn = Int16(POLLIN)
let pollOut = Int16(POLLOUT)
let pollError = Int16(POLLERR | POLLHUP | POLLNVAL)

/// The sender's one write call, exposed for the tests (release-mode tests cannot reach internal
/// code): what a write to a socket whose peer is gone returns, in a process that SIGPIPE would kill.
public enum _TelemetrySocketProbe {
    /// Bytes written, or minus errno.
    public static func send(_ fd: Int32, _ bytes: [UInt8]) -> Int {
        switch bytes.withUnsafeBytes({ Socket.sendSome(fd, $0) }) {
        case .done(let n): return n
        case .wouldBlock: return -Int(EAGAIN)
        case .closed: return 0
        case .failed(let code): return -Int(code)
        }
    }
}
