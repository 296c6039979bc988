import Foundation
import RunSpec
import Telemetry
import TestSupport
import XCTest

final class WireTests: XCTestCase {
    func testEveryEventKindIsSampled() {
        XCTAssertEqual(Set(Samples.events.map(\.kind)), Set(EventKind.allCases))
    }

    func testEveryEventRoundTripsThroughOneLine() throws {
        for record in Samples.records {
            let line = try LineCoding.encode(record)
            XCTAssertEqual(line.last, 0x0A)
            XCTAssertEqual(line.filter { $0 == 0x0A }.count, 1, "one line per event")
            let text = String(decoding: line, as: UTF8.self)
            XCTAssertTrue(text.hasPrefix("{\"event\":\"\(record.event.kind.rawValue)\",\"time\":"), text)
            XCTAssertFalse(text.contains("\"token\""))
            let parsed = try LineCoding.decode(line.dropLast()).get()
            XCTAssertEqual(parsed.record, record)
            XCTAssertNil(parsed.token)
        }
    }

    func testTheTokenTravelsOnlyWhenGiven() throws {
        let record = Samples.records[0]
        let line = try LineCoding.encode(record, token: "00ff")
        let text = String(decoding: line, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("{\"event\":\"hello\",\"time\":1764097731.125,\"token\":\"00ff\",\"config\":{"), text)
        let parsed = try LineCoding.decode(line.dropLast()).get()
        XCTAssertEqual(parsed.token, "00ff")
        XCTAssertEqual(parsed.record, record)
    }

    func testTheStepLineNamesCategoriesAndKindsAsTheTrainerDoes() throws {
        let line = String(decoding: try LineCoding.encode(TelemetryRecord(time: 1, event: .step(Samples.step(1)))), as: UTF8.self)
        for key in ["\"gathered_parameters\":", "\"reduce_scatter\":{\"bytes\":", "\"gradNorm\":", "\"waitSeconds\":",
                    "\"peakResidentBytes\":", "\"tokensPerSecond\":"] {
            XCTAssertTrue(line.contains(key), "\(key) missing from \(line)")
        }
    }

    func testNonFiniteNumbersTravelAsStrings() throws {
        var step = Samples.step(3, ranks: 1)
        step.loss = .nan
        step.gradNorm = .infinity
        step.lr = -.infinity
        let line = try LineCoding.encode(TelemetryRecord(time: 2, event: .step(step)))
        let text = String(decoding: line, as: UTF8.self)
        XCTAssertTrue(text.contains("\"loss\":\"NaN\""), text)
        XCTAssertTrue(text.contains("\"gradNorm\":\"Infinity\""), text)
        guard case .step(let back) = try LineCoding.decode(line.dropLast()).get().record.event else {
            return XCTFail("not a step")
        }
        XCTAssertTrue(back.loss.isNaN)
        XCTAssertEqual(back.gradNorm, .infinity)
        XCTAssertEqual(back.lr, -.infinity)
    }

    func testUnknownFieldsAreIgnoredAndCRLFIsAccepted() throws {
        let line = #"{"event":"log","time":5,"message":"hi","rank":0,"future":{"x":[1,2]}}"# + "\r"
        let parsed = try LineCoding.decode(Array(line.utf8)).get()
        XCTAssertEqual(parsed.record, TelemetryRecord(time: 5, event: .log(LogLine(message: "hi", rank: 0))))
    }

    func testRecordingsFromBeforeThePeaksAgeStillDecode() throws {
        // docs/telemetry.md's hello and step lines as schema 1 first wrote them: no measuredAt, no step peak.
        let hello = #"{"event":"hello","time":1,"config":{"arguments":[],"dataPath":"d","globalBatchSize":8,"gradAccum":1,"localBatchSize":8,"lr":0.0008,"maxNorm":1,"seed":0,"seqLen":256,"steps":10,"threads":1,"tokenizerPath":"t","warmupSteps":2},"flopsPerToken":1,"mesh":{"replicate":1,"shard":1,"strategy":"single"},"model":{"dim":256,"flavor":"debugmodel","nHeads":16,"nKVHeads":16,"nLayers":6,"parameters":6139136,"vocabSize":2000},"peak":{"detail":"x","flops":101000000000,"source":"measured"},"ranks":[],"schema":1}"#
        guard case let .hello(h) = try LineCoding.decode(Array(hello.utf8)).get().record.event else { return XCTFail("not a hello") }
        XCTAssertNil(h.peak.measuredAt)
        XCTAssertEqual(h.peak.status(now: 100), "measured")
        let step = #"{"event":"step","time":2,"gradNorm":1,"loss":8,"lr":0.0004,"ranks":[],"step":1}"#
        guard case let .step(s) = try LineCoding.decode(Array(step.utf8)).get().record.event else { return XCTFail("not a step") }
        XCTAssertNil(s.peak)
    }

    func testStepsFromBeforeMFUsSplitStillDecodeAndNewOnesCarryIt() throws {
        // A rank's figures as they were written before the GEMM timings: no seconds.gemm, gemmFlops, mfuSplit.
        let old = #"{"event":"step","time":2,"gradNorm":1,"loss":8,"lr":0.0004,"ranks":[{"communication":{},"memory":{},"mfu":80.92,"peakResidentBytes":3,"rank":0,"residentBytes":2,"seconds":{"communication":0.094,"compute":0.801,"data":0.0004,"optimizer":0.0166,"total":0.912},"tflops":0.0817,"tokens":2048,"tokensPerSecond":2245.6}],"step":1}"#
        guard case let .step(s) = try LineCoding.decode(Array(old.utf8)).get().record.event else { return XCTFail("not a step") }
        XCTAssertNil(s.ranks[0].seconds.gemm)
        XCTAssertNil(s.ranks[0].gemmFlops)
        XCTAssertNil(s.ranks[0].mfuSplit)
        let line = String(decoding: try LineCoding.encode(TelemetryRecord(time: 1, event: .step(Samples.step(1)))), as: UTF8.self)
        for key in ["\"gemm\":0.71", "\"gemmFlops\":", "\"mfuSplit\":{\"gemmFlopsPerSecond\":", "\"gemmOfPeak\":0.875",
                    "\"inGemms\":", "\"notWaiting\":", "\"modelPerGemmFlop\":"] {
            XCTAssertTrue(line.contains(key), "\(key) missing from \(line)")
        }
        XCTAssertEqual(line.components(separatedBy: "\"mfuSplit\"").count - 1, 3, "absent, not null, for the rank without it")
        XCTAssertFalse(line.contains("null"))
    }

    func testThePeaksStatusSaysItsSourceAndAge() {
        XCTAssertEqual(Samples.hello.peak.status(now: 1_764_097_731.5), "cached 2h ago")
        XCTAssertEqual(Samples.raisedStep.peak?.status(now: 1_764_097_800), "raised at step 2")
        XCTAssertEqual(PeakInfo(flops: 1, source: "measured", detail: "", measuredAt: 10).status(now: 40), "measured now")
        XCTAssertEqual(PeakInfo(flops: 1, source: "measured", detail: "", measuredAt: 10).status(now: 730), "measured 12m ago")
        XCTAssertEqual(PeakInfo(flops: 1, source: "given", detail: "").status(now: 5), "given")
        XCTAssertEqual(PeakInfo(flops: 8.96e10, source: "given", detail: "").gigaflops, "89.6 GF/s")
    }

    func testRejectionsNameTheirReason() {
        func reason(_ text: String) -> String? {
            if case .failure(let r) = LineCoding.decode(Array(text.utf8)) { return r.category }
            return nil
        }
        XCTAssertEqual(reason(""), "empty")
        XCTAssertEqual(reason("{\"event\":"), "not_json")
        XCTAssertEqual(reason("[1,2]"), "not_object")
        XCTAssertEqual(reason("{\"time\":1}"), "missing_kind")
        XCTAssertEqual(reason("{\"event\":7,\"time\":1}"), "missing_kind")
        XCTAssertEqual(reason("{\"event\":\"stepp\",\"time\":1}"), "unknown_kind")
        XCTAssertEqual(reason("{\"event\":\"log\",\"message\":\"x\",\"rank\":0}"), "invalid_fields")
        XCTAssertEqual(reason("{\"event\":\"log\",\"time\":1,\"message\":5,\"rank\":0}"), "invalid_fields")
        XCTAssertEqual(reason("{\"event\":\"log\",\"time\":1,\"message\":\"x\",\"rank\":1.5}"), "invalid_fields")
        if case .failure(let r) = LineCoding.decode(Array("{\"event\":\"log\",\"time\":1,\"message\":\"x\"}".utf8)) {
            XCTAssertEqual(r, .invalidFields(kind: "log", detail: "rank: missing"))
        } else {
            XCTFail("accepted a log without rank")
        }
        let step = String(decoding: try! LineCoding.encode(TelemetryRecord(time: 1, event: .step(Samples.step(1)))).dropLast(),
                          as: UTF8.self).replacingOccurrences(of: "\"tokens\":2048", with: "\"tokens\":\"many\"")
        if case .failure(let r) = LineCoding.decode(Array(step.utf8)) {
            XCTAssertEqual(r, .invalidFields(kind: "step", detail: "ranks[0].tokens: expected Int"))
        } else {
            XCTFail("accepted a step with a string for tokens")
        }
        XCTAssertEqual(LineCoding.decode([0x7B, 0xFF, 0x7D]).failureCategory, "invalid_utf8")
        XCTAssertEqual(LineCoding.decode([UInt8](repeating: 0x20, count: 11), maxLength: 10).failureCategory, "too_long")
    }

    func testControlCommandsRoundTripAndMalformedOnesAreRejected() throws {
        let commands: [ControlCommand] = [.stop, .checkpoint, .pause, .resume,
                                          .reconfigure(mesh: meshShape(2, 1))]
        for command in commands {
            let line = command.line()
            XCTAssertEqual(line.last, 0x0A)
            XCTAssertEqual(try ControlCommand.decode(line.dropLast()).get(), command)
        }
        XCTAssertEqual(String(decoding: ControlCommand.reconfigure(mesh: meshShape(1, 4)).line(), as: UTF8.self),
                       "{\"command\":\"reconfigure\",\"mesh\":{\"replicate\":1,\"shard\":4}}\n")
        for bad in ["{\"command\":\"reconfigure\"}", "{\"command\":\"reconfigure\",\"mesh\":{\"replicate\":0,\"shard\":4}}",
                    "{\"command\":\"explode\"}", "{\"cmd\":\"stop\"}", "stop", ""] {
            if case .success(let c) = ControlCommand.decode(Array(bad.utf8)) { XCTFail("accepted \(bad) as \(c)") }
        }
    }

    func testAddressesAndTheEnvironment() {
        XCTAssertEqual(TelemetryAddress("127.0.0.1:4567"), TelemetryAddress(host: "127.0.0.1", port: 4567))
        XCTAssertEqual(TelemetryAddress("[::1]:80"), TelemetryAddress(host: "::1", port: 80))
        XCTAssertEqual(TelemetryAddress(host: "::1", port: 80).description, "[::1]:80")
        XCTAssertEqual(TelemetryAddress("node7:1"), TelemetryAddress(host: "node7", port: 1))
        for bad in ["", "127.0.0.1", "127.0.0.1:", ":80", "host:0", "host:70000", "::1:80", "[::1]80"] {
            XCTAssertNil(TelemetryAddress(bad), bad)
        }
        XCTAssertEqual(TelemetryEnvironment.lookup([:]), .absent)
        XCTAssertEqual(TelemetryEnvironment.lookup(["MESHTOP_TELEMETRY": "127.0.0.1:9", "MESHTOP_TELEMETRY_TOKEN": "ab"]),
                       .configured(TelemetryAddress(host: "127.0.0.1", port: 9), token: "ab"))
        guard case .invalid = TelemetryEnvironment.lookup(["MESHTOP_TELEMETRY": "127.0.0.1:9"]) else {
            return XCTFail("a missing token must be invalid")
        }
        guard case .invalid = TelemetryEnvironment.lookup(["MESHTOP_TELEMETRY": "nonsense", "MESHTOP_TELEMETRY_TOKEN": "ab"]) else {
            return XCTFail("a malformed address must be invalid")
        }
    }

    func testTokensAre128RandomBitsInHex() {
        let tokens = (0..<100).map { _ in TelemetryToken.generate() }
        XCTAssertEqual(Set(tokens).count, 100)
        for token in tokens {
            XCTAssertEqual(token.count, 32)
            XCTAssertTrue(token.allSatisfy { "0123456789abcdef".contains($0) }, token)
        }
    }

    func testTheFileHoldsTheEventsWithoutTheTokenAndSkipsGarbage() throws {
        let path = try makeTemporaryFolder(for: self, "telemetry").appendingPathComponent("metrics.jsonl").path
        let writer = try TelemetryFileWriter(path: path)
        for record in Samples.records { try writer.write(record) }
        try writer.close()
        // A crash mid-line, and garbage after it.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("not json\n{\"event\":\"step\",\"time\":1,\"step\":".utf8))
        try handle.close()

        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertFalse(text.contains("\"token\""))
        let (records, counts) = try TelemetryFileReader.readAll(path: path)
        XCTAssertEqual(records, Samples.records)
        XCTAssertEqual(counts.accepted, Samples.records.count)
        XCTAssertEqual(counts.rejected, 2)
        XCTAssertEqual(counts.rejectedByCategory, ["not_json": 2])
    }

    func testTheFileCanBeFollowedWhileItIsWritten() throws {
        let path = try makeTemporaryFolder(for: self, "telemetry").appendingPathComponent("metrics.jsonl").path
        let writer = try TelemetryFileWriter(path: path)
        let reader = try TelemetryFileReader(path: path)
        XCTAssertEqual(try reader.readAvailable(), [])
        let all = Samples.records
        try writer.write(all[0])
        try writer.write(all[1])
        XCTAssertEqual(try reader.readAvailable(), Array(all[0...1]))
        XCTAssertEqual(try reader.readAvailable(), [])
        try writer.write(all[2])
        XCTAssertEqual(try reader.readAvailable(), [all[2]])
        try writer.close()
        XCTAssertEqual(try reader.finish(), [])
    }
}

extension Result where Failure == RejectReason {
    var failureCategory: String? {
        if case .failure(let reason) = self { return reason.category }
        return nil
    }
}
