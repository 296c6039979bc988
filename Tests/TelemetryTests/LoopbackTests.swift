#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RunSpec
import TestSupport
import Telemetry
import XCTest

/// Sender and receiver over real TCP on 127.0.0.1.
final class LoopbackTests: XCTestCase {
    private func startSession(_ receiver: TelemetryReceiver, reports: Reports = Reports(),
                              file: StaticString = #filePath, line: UInt = #line) -> TelemetrySender {
        let sender = TelemetrySender(address: receiver.address, token: receiver.token, report: reports.callback)
        sender.send(.hello(Samples.hello), time: 1)
        let items = collect(receiver, timeout: 10) { if case .record = $0 { return true }; return false }
        XCTAssertEqual(items.first, .sessionStarted, file: file, line: line)
        XCTAssertEqual(records(items).first?.event, .hello(Samples.hello), file: file, line: line)
        return sender
    }

    func testEveryEventRoundTripsOverLoopback() throws {
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        XCTAssertEqual(receiver.address.host, "127.0.0.1")
        XCTAssertNotEqual(receiver.address.port, 0)
        XCTAssertEqual(receiver.environment, ["MESHTOP_TELEMETRY": "127.0.0.1:\(receiver.address.port)",
                                              "MESHTOP_TELEMETRY_TOKEN": receiver.token])

        let reports = Reports()
        let sender = TelemetrySender.fromEnvironment(receiver.environment, report: reports.callback)!
        // A log before the hello waits for it: the hello still goes first.
        let early = Samples.records[1]
        sender.send(early.event, time: early.time)
        let rest = Samples.records.filter { $0 != early }
        for record in rest { sender.send(record.event, time: record.time) }
        for n in 2...50 { sender.send(.step(Samples.step(n)), time: Double(n)) }
        let expected = [rest[0], early] + rest.dropFirst() + (2...50).map { TelemetryRecord(time: Double($0), event: .step(Samples.step($0))) }

        var received: [TelemetryRecord] = []
        var items: [TelemetryReceiver.Item] = []
        XCTAssertTrue(waitUntil(timeout: 10) {
            items += receiver.drain()
            received = records(items)
            return received.count >= expected.count
        })
        XCTAssertEqual(items.first, .sessionStarted)
        XCTAssertEqual(received, expected)
        XCTAssertEqual(sender.state, .connected)

        sender.close()
        XCTAssertEqual(sender.state, .closed)
        let end = collect(receiver, timeout: 5) { if case .sessionEnded = $0 { return true }; return false }
        XCTAssertEqual(end.last, .sessionEnded("rank 0 closed the connection"))
        let stats = receiver.statistics
        XCTAssertEqual(stats.sessions, 1)
        XCTAssertEqual(stats.lines.accepted, expected.count)
        XCTAssertEqual(stats.lines.rejected, 0)
        XCTAssertEqual(stats.refusedConnections, 0)
        XCTAssertEqual(sender.statistics.sentEvents, expected.count)
        XCTAssertEqual(sender.statistics.droppedEvents, 0)
        XCTAssertEqual(reports.count, 0, "\(reports.all)")
    }

    func testWrongAndMissingTokensAreRefusedAndTheRightOneStillWorks() throws {
        let receiver = try TelemetryReceiver(handshakeTimeout: 0.5)
        defer { receiver.close() }
        let intruder = Samples.events[1]  // a log line that must never surface

        // A sender with the wrong token: refused, it reports once and training would go on.
        let wrongReports = Reports()
        let wrong = TelemetrySender(address: receiver.address, token: "0123456789abcdef0123456789abcdef",
                                    report: wrongReports.callback)
        wrong.send(.hello(Samples.hello))
        wrong.send(intruder)
        XCTAssertTrue(waitUntil(timeout: 5) { if case .failed = wrong.state { return true }; return false })
        XCTAssertEqual(wrongReports.count, 1, "\(wrongReports.all)")
        wrong.send(intruder)  // dropped, no second report
        XCTAssertEqual(wrongReports.count, 1)

        // A hello without a token; a first line that is not a hello; garbage; silence; an early close.
        let raw = try RawClient(port: receiver.address.port)
        raw.write(try LineCoding.encode(TelemetryRecord(time: 1, event: .hello(Samples.hello))) + LineCoding.encode(TelemetryRecord(time: 2, event: intruder)))
        XCTAssertTrue(raw.closedByPeer(within: 5))
        let notHello = try RawClient(port: receiver.address.port)
        notHello.write(try LineCoding.encode(TelemetryRecord(time: 1, event: intruder), token: receiver.token))
        XCTAssertTrue(notHello.closedByPeer(within: 5))
        let garbage = try RawClient(port: receiver.address.port)
        garbage.write([0x00, 0xFF, 0xFE, 0x0A])
        XCTAssertTrue(garbage.closedByPeer(within: 5))
        let silent = try RawClient(port: receiver.address.port)
        XCTAssertTrue(silent.closedByPeer(within: 5), "a connection that never says hello is closed after the timeout")
        var halfLine: RawClient? = try RawClient(port: receiver.address.port)
        halfLine!.write("{\"event\":\"hel")
        halfLine = nil

        XCTAssertTrue(waitUntil(timeout: 5) { receiver.statistics.refusedConnections == 6 })
        let stats = receiver.statistics
        XCTAssertEqual(stats.refusedByReason, ["wrong_token": 1, "missing_token": 1, "not_hello": 2,
                                               "handshake_timeout": 1, "closed_early": 1])
        XCTAssertEqual(stats.sessions, 0)
        XCTAssertFalse(receiver.isSessionLive)
        let refused = receiver.drain()
        XCTAssertEqual(refused.count, 6)
        XCTAssertTrue(refused.allSatisfy { if case .connectionRefused = $0 { return true }; return false }, "\(refused)")

        // The real rank 0 afterwards.
        let reports = Reports()
        let sender = startSession(receiver, reports: reports)
        sender.send(.log(LogLine(message: "after the intruders")), time: 3)
        let items = collect(receiver) { if case .record = $0 { return true }; return false }
        XCTAssertEqual(records(items), [TelemetryRecord(time: 3, event: .log(LogLine(message: "after the intruders")))])
        XCTAssertEqual(receiver.statistics.lines.accepted, 2)
        sender.close()
        XCTAssertEqual(reports.count, 0)
        wrong.close()
    }

    func testASecondConnectionWhileOneIsLiveIsClosedUnreadAndTheFirstGoesOn() throws {
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        let first = startSession(receiver)

        // Even with the right token: one session at a time.
        let secondReports = Reports()
        let second = TelemetrySender(address: receiver.address, token: receiver.token, report: secondReports.callback)
        second.send(.hello(Samples.hello))
        second.send(.error(Notice(message: "from the second connection")))
        XCTAssertTrue(waitUntil(timeout: 5) { if case .failed = second.state { return true }; return false })
        XCTAssertEqual(secondReports.count, 1)
        let raw = try RawClient(port: receiver.address.port)
        XCTAssertTrue(raw.closedByPeer(within: 5))
        XCTAssertEqual(receiver.statistics.refusedByReason, ["session_live": 2])

        first.send(.log(LogLine(message: "still here")), time: 5)
        let items = collect(receiver) { if case .record = $0 { return true }; return false }
        XCTAssertEqual(records(items), [TelemetryRecord(time: 5, event: .log(LogLine(message: "still here")))])
        XCTAssertTrue(receiver.isSessionLive)

        // After the first session ends, a new one may start (a relaunch with the same token).
        first.close()
        XCTAssertEqual(collect(receiver) { if case .sessionEnded = $0 { return true }; return false }.last,
                       .sessionEnded("rank 0 closed the connection"))
        XCTAssertTrue(waitUntil(timeout: 5) { !receiver.isSessionLive })
        let third = startSession(receiver)
        XCTAssertEqual(receiver.statistics.sessions, 2)
        XCTAssertEqual(receiver.statistics.lines.accepted, 3, "counts cover every session: hello, log, hello")
        third.close()
        second.close()
    }

    func testMalformedLinesInsideASessionAreCountedAndTheSessionGoesOn() throws {
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        let client = try RawClient(port: receiver.address.port)
        client.write(try LineCoding.encode(TelemetryRecord(time: 1, event: .hello(Samples.hello)), token: receiver.token))
        client.write("not json\n{\"event\":\"launch\",\"time\":1}\n[1]\n\n{\"event\":\"log\",\"time\":1,\"message\":3,\"rank\":0}\n")
        client.write([0xFF, 0x00, 0xC3, 0x0A])
        client.write([UInt8](repeating: UInt8(ascii: "x"), count: TelemetrySchema.maxLineLength + 100) + [0x0A])
        client.write(try LineCoding.encode(TelemetryRecord(time: 9, event: .log(LogLine(message: "good")))))
        let items = collect(receiver) {
            if case .record(let r) = $0, r.time == 9 { return true }
            return false
        }
        XCTAssertEqual(records(items).map(\.time), [1, 9])
        let lines = receiver.statistics.lines
        XCTAssertEqual(lines.accepted, 2)
        XCTAssertEqual(lines.rejected, 7)
        XCTAssertEqual(lines.rejectedByCategory, ["not_json": 1, "unknown_kind": 1, "not_object": 1, "empty": 1,
                                                  "invalid_fields": 1, "invalid_utf8": 1, "too_long": 1])
        XCTAssertTrue(receiver.isSessionLive)
    }

    func testARankThatDiesMidLineEndsTheSessionAndTheHalfLineIsCounted() throws {
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        var client: RawClient? = try RawClient(port: receiver.address.port)
        client!.write(try LineCoding.encode(TelemetryRecord(time: 1, event: .hello(Samples.hello)), token: receiver.token))
        let step = try LineCoding.encode(TelemetryRecord(time: 2, event: .step(Samples.step(1))))
        client!.write(Array(step.prefix(step.count / 2)))
        client = nil  // killed mid-line
        let items = collect(receiver) { if case .sessionEnded = $0 { return true }; return false }
        XCTAssertEqual(items.first, .sessionStarted)
        XCTAssertEqual(records(items).map(\.time), [1])
        XCTAssertEqual(items.last, .sessionEnded("rank 0 closed the connection"))
        XCTAssertEqual(receiver.statistics.lines.rejectedByCategory, ["not_json": 1])
        XCTAssertFalse(receiver.isSessionLive)
    }

    func testTheSenderConnectsOnlyWithItsHelloSoASlowSetUpIsNotTimedOut() throws {
        let receiver = try TelemetryReceiver(handshakeTimeout: 0.3)
        defer { receiver.close() }
        let reports = Reports()
        let sender = TelemetrySender(address: receiver.address, token: receiver.token, report: reports.callback)
        sender.send(.log(LogLine(message: "set-up")), time: 1)
        usleep(800_000)  // the trainer building itself, longer than the handshake timeout
        XCTAssertEqual(receiver.statistics.refusedConnections, 0)
        XCTAssertFalse(receiver.isSessionLive)
        XCTAssertEqual(sender.state, .connecting)
        sender.send(.hello(Samples.hello), time: 2)
        let items = collect(receiver) { if case .record(let r) = $0, r.time == 1 { return true }; return false }
        XCTAssertEqual(records(items).map(\.time), [2, 1])
        XCTAssertEqual(reports.count, 0)
        sender.close()
    }

    func testIdleConnectionsCannotCrowdRankZeroOut() throws {
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        let idle = try (0..<20).map { _ in try RawClient(port: receiver.address.port) }
        XCTAssertTrue(waitUntil(timeout: 5) { receiver.statistics.refusedByReason["too_many_pending"] == 4 })
        XCTAssertEqual(receiver.drain().count, 4)
        let sender = TelemetrySender(address: receiver.address, token: receiver.token, report: { _ in })
        sender.send(.hello(Samples.hello))
        let items = collect(receiver) { if case .record = $0 { return true }; return false }
        // Its connection evicted one more idle one, then presented the hello.
        XCTAssertEqual(items.count, 3, "\(items)")
        XCTAssertEqual(Array(items.dropFirst()).first, .sessionStarted)
        XCTAssertEqual(receiver.statistics.sessions, 1)
        XCTAssertEqual(receiver.statistics.refusedByReason, ["too_many_pending": 5])
        XCTAssertTrue(idle[0].closedByPeer(within: 1))
        sender.close()
    }

    func testControlCommandsReachTheRankSide() throws {
        let receiver = try TelemetryReceiver()
        defer { receiver.close() }
        XCTAssertFalse(receiver.send(.stop), "no session: nothing to send to")
        let sender = startSession(receiver)
        XCTAssertEqual(sender.pendingCommands(), [])
        let commands: [ControlCommand] = [.pause, .resume, .checkpoint,
                                          .reconfigure(mesh: meshShape(1, 4)), .stop]
        for command in commands { XCTAssertTrue(receiver.send(command)) }
        var arrived: [ControlCommand] = []
        XCTAssertTrue(waitUntil(timeout: 5) {
            arrived += sender.pendingCommands()
            return arrived.count >= commands.count
        })
        XCTAssertEqual(arrived, commands)
        XCTAssertEqual(sender.pendingCommands(), [])
        XCTAssertEqual(sender.statistics.commandLines.accepted, commands.count)
        sender.close()
    }

    func testMalformedCommandsAreCountedOnTheRankSide() throws {
        // A fake front end: accepts, reads the hello, answers with junk and one good command.
        let listener = StalledListener()
        let sender = TelemetrySender(address: TelemetryAddress(host: "127.0.0.1", port: listener.port), token: "t",
                                     report: { _ in })
        defer { sender.close(flushTimeout: 0) }
        sender.send(.hello(Samples.hello))
        let fd = accept(listener.fd, nil, nil)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let junk = Array("{\"command\":\"explode\"}\nnope\n\u{0}\n{\"command\":\"stop\"}\n".utf8)
        XCTAssertEqual(junk.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }, junk.count)
        var arrived: [ControlCommand] = []
        XCTAssertTrue(waitUntil(timeout: 5) { arrived += sender.pendingCommands(); return !arrived.isEmpty })
        XCTAssertEqual(arrived, [.stop])
        XCTAssertEqual(sender.statistics.commandLines.rejected, 3)
    }

    func testTheSenderSurvivesTheReceiverDisappearingMidStream() throws {
        // Let SIGPIPE kill this process, as it would a rank: a write to the dead socket must not raise it.
        let previous = signal(SIGPIPE, SIG_DFL)
        defer { signal(SIGPIPE, previous) }
        let receiver = try TelemetryReceiver()
        let reports = Reports()
        let sender = startSession(receiver, reports: reports)
        for n in 1...20 { sender.send(.step(Samples.step(n, ranks: 16))) }
        XCTAssertTrue(waitUntil(timeout: 10) { records(receiver.drain()).count > 0 || receiver.statistics.lines.accepted > 10 })

        receiver.close()  // the front end goes away mid-stream
        var slowest = 0.0
        let started = Date()
        var n = 21
        // Training goes on: keep sending until the sender notices, then a lot more.
        while Date().timeIntervalSince(started) < 10 {
            for _ in 0..<5 {  // bursts: several lines queued when the sender meets the closed socket
                let t0 = Date()
                sender.send(.step(Samples.step(n, ranks: 16)))
                slowest = max(slowest, Date().timeIntervalSince(t0))
                n += 1
            }
            if case .failed = sender.state { break }
            usleep(1_000)
        }
        guard case .failed(let reason) = sender.state else { return XCTFail("the sender never noticed: \(sender.state)") }
        let t0 = Date()
        for m in 0..<10_000 { sender.send(.step(Samples.step(n + m, ranks: 16))) }
        let burst = Date().timeIntervalSince(t0)
        XCTAssertEqual(reports.count, 1, "\(reports.all)")
        XCTAssertTrue(reports.all.first?.contains("training continues") ?? false, "\(reports.all)")
        XCTAssertTrue(reason.contains("front end"), reason)
        XCTAssertLessThan(slowest, 0.5, "send blocked")
        XCTAssertLessThan(burst, 2, "sends after the failure must cost almost nothing")
        let stats = sender.statistics
        XCTAssertEqual(stats.queuedBytes, 0)
        XCTAssertGreaterThanOrEqual(stats.droppedEvents, 10_000)
        sender.close()
        XCTAssertEqual(reports.count, 1)
    }

    func testAWriteToAVanishedPeerReturnsEPIPEInsteadOfRaisingSIGPIPE() throws {
        let previous = signal(SIGPIPE, SIG_DFL)  // as in a rank: SIGPIPE would end the process
        defer { signal(SIGPIPE, previous) }
        let listener = StalledListener()
        let client = try RawClient(port: listener.port)
        let peer = accept(listener.fd, nil, nil)
        XCTAssertGreaterThanOrEqual(peer, 0)
        close(peer)  // FIN: the client's socket is in CLOSE_WAIT
        usleep(20_000)
        let line = Array("{\"event\":\"log\"}\n".utf8)
        XCTAssertEqual(_TelemetrySocketProbe.send(client.fd, line), line.count, "the first write still goes out")
        usleep(20_000)  // the peer answers it with a reset
        var result = 0
        for _ in 0..<3 where result >= 0 { result = _TelemetrySocketProbe.send(client.fd, line) }
        XCTAssertEqual(result, -Int(EPIPE))
    }

    func testAnUnreachableFrontEndIsReportedOnceAndCostsNothing() {
        let reports = Reports()
        let sender = TelemetrySender(address: TelemetryAddress(host: "127.0.0.1", port: closedPort()), token: "t",
                                     report: reports.callback)
        sender.send(.hello(Samples.hello))
        XCTAssertTrue(waitUntil(timeout: 5) { if case .failed = sender.state { return true }; return false })
        for n in 1...1000 { sender.send(.step(Samples.step(n))) }
        XCTAssertEqual(reports.count, 1)
        XCTAssertTrue(reports.all[0].contains("Connection refused"), reports.all[0])
        XCTAssertEqual(sender.statistics.queuedEvents, 0)
        sender.close()
        XCTAssertEqual(reports.count, 1)
    }

    func testAStalledFrontEndCannotMakeTheQueueGrowOrBlockSends() {
        let listener = StalledListener()  // connects (the kernel's backlog), never reads
        let reports = Reports()
        let limit = 1 << 20
        let sender = TelemetrySender(address: TelemetryAddress(host: "127.0.0.1", port: listener.port), token: "t",
                                     queueLimitBytes: limit, report: reports.callback)
        sender.send(.hello(Samples.hello))
        var slowest = 0.0
        var maxQueued = 0
        for n in 1...1200 {  // about 30 kB each: 36 MB, far more than the socket buffers hold
            let t0 = Date()
            sender.send(.step(Samples.step(n, ranks: 48)))
            slowest = max(slowest, Date().timeIntervalSince(t0))
            maxQueued = max(maxQueued, sender.statistics.queuedBytes)
        }
        let stats = sender.statistics
        XCTAssertLessThanOrEqual(maxQueued, limit)
        XCTAssertGreaterThan(stats.droppedEvents, 0)
        XCTAssertLessThan(slowest, 0.5, "send blocked")
        let t0 = Date()
        sender.close(flushTimeout: 0.2)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 2)
        XCTAssertEqual(sender.state, .closed)
        XCTAssertEqual(reports.count, 0, "a slow front end is not a lost one: \(reports.all)")
    }

    func testTheEnvironmentDecidesWhetherThereIsASender() {
        let reports = Reports()
        XCTAssertNil(TelemetrySender.fromEnvironment([:], report: reports.callback))
        XCTAssertEqual(reports.count, 0)
        XCTAssertNil(TelemetrySender.fromEnvironment(["MESHTOP_TELEMETRY": "nowhere"], report: reports.callback))
        XCTAssertEqual(reports.count, 1)
    }
}
