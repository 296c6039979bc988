import Foundation
import RunSpec
#if canImport(Glibc)
import Glibc
#endif

/// The address of this machine that packets to another host leave from: what the telemetry
/// listener binds when the ranks run elsewhere, so it is reachable from them without listening
/// on every interface. A UDP socket connected toward the host asks the kernel's routing table;
/// nothing is sent.
public enum SourceAddress {
    public static func toward(_ host: String) throws -> String {
        let (family, address) = try Socket.resolve(host: host, port: 9, passive: false)[0]
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        defer { close(fd) }
        let connected = address.withUnsafeBytes {
            connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(address.count))
        }
        guard connected == 0 else { throw SocketError("no route to \(host)") }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { throw SocketError("getsockname") }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = withUnsafePointer(to: &storage) { pointer -> UnsafePointer<CChar>? in
            if family == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    var a = $0.pointee.sin6_addr
                    return inet_ntop(AF_INET6, &a, &text, socklen_t(text.count))
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                var a = $0.pointee.sin_addr
                return inet_ntop(AF_INET, &a, &text, socklen_t(text.count))
            }
        }
        guard written != nil else { throw SocketError("inet_ntop") }
        return string(fromCBuffer: text)
    }

    /// Whether `host` names this machine's loopback (the ranks then run here).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }
}
