// What every rank's heartbeat costs the front end: N simulated ranks (one connection each, a
// beat a second, spread over the second) against a real HeartbeatReceiver; the receiving
// process's CPU time over the window, as a share of one core.
//
//   bench-heartbeats [RANKS] [SECONDS]          default 4096 ranks, 20 s
import Foundation
import RunSpec
import Telemetry

let arguments = CommandLine.arguments
if arguments.count > 1 && arguments[1] == "ranks" {
    simulateRanks(count: Int(arguments[2])!, seconds: Double(arguments[3])!, port: UInt16(arguments[4])!, token: arguments[5])
    exit(0)
}
let ranks = arguments.count > 1 ? Int(arguments[1]) ?? 4096 : 4096
let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 20 : 20
let token = TelemetryToken.generate()
let receiver = try HeartbeatReceiver(token: token)
let child = Process()
child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
child.arguments = ["ranks", String(ranks), String(seconds + 10), String(receiver.address.port), token]
try child.run()

// Wait for every rank's hello, then a few seconds of beats to settle, then measure.
let admitted = Date()
while receiver.statistics.admitted < ranks && Date().timeIntervalSince(admitted) < 60 { usleep(100_000) }
print("admitted \(receiver.statistics.admitted) of \(ranks) connections in \(String(format: "%.1f", Date().timeIntervalSince(admitted))) s")
sleep(3)
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
let beats0 = receiver.statistics.beats, cpu0 = cpuSeconds(), wall0 = Date()
Thread.sleep(forTimeInterval: seconds)
let beats = receiver.statistics.beats - beats0, cpu = cpuSeconds() - cpu0, wall = Date().timeIntervalSince(wall0)
let live = receiver.pulses.filter { $0.closedAt == nil && Date().timeIntervalSince1970 - $0.lastHeardAt < 2 }.count
print(String(format: "%d ranks: %.0f beats/s received, front end CPU %.2f%% of a core over %.0f s; %d ranks heard in the last 2 s",
             ranks, Double(beats) / wall, 100 * cpu / wall, wall, live))
child.terminate()
child.waitUntilExit()
receiver.close()

/// The ranks' side: plain blocking sockets from one thread, a beat per connection per second.
func simulateRanks(count: Int, seconds: Double, port: UInt16, token: String) {
    var fds: [Int32] = []
    for rank in 0 ..< count {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else { print("connect \(rank) failed: \(String(cString: strerror(errno)))"); exit(1) }
        let hello = HeartbeatFrame.hello(HeartbeatHello(rank: rank, worldSize: count, pid: Int32(10_000 + rank), host: "sim-\(rank / 8)"),
                                         token: token).encoded()
        _ = hello.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        fds.append(fd)
    }
    var activity = RankActivity(phaseSince: Date().timeIntervalSince1970)
    activity.phase = .backward
    activity.waitingIn = CollectiveCall(operation: .allGather, axis: .shard, group: 3, sequence: 1284, bytes: 4_718_592,
                                        startedAt: Date().timeIntervalSince1970)
    let end = Date().addingTimeInterval(seconds)
    var sequence = 0
    while Date() < end {
        sequence += 1
        let second = Date()
        for (i, fd) in fds.enumerated() {
            activity.entered = [sequence, sequence, sequence]
            let frame = HeartbeatFrame.beat(Heartbeat(sequence: sequence, sentAt: Date().timeIntervalSince1970, activity: activity)).encoded()
            _ = frame.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // Spread over the second, as ranks started at different moments beat.
            if i % 64 == 63 {
                let due = second.addingTimeInterval(Double(i + 1) / Double(fds.count))
                let wait = due.timeIntervalSinceNow
                if wait > 0 { usleep(useconds_t(wait * 1e6)) }
            }
        }
        let rest = second.addingTimeInterval(1).timeIntervalSinceNow
        if rest > 0 { usleep(useconds_t(rest * 1e6)) }
    }
}
