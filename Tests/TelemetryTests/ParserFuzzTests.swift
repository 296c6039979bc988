import Foundation
import Telemetry
import TestSupport
import XCTest

/// Malformed input of every sort must be counted, never crash, never pass as an event.
final class ParserFuzzTests: XCTestCase {
    static let validLines: [[UInt8]] = Samples.records.map { Array(try! LineCoding.encode($0).dropLast()) }

    /// `count` malformed lines (none contains a newline), of every kind the brief names.
    static func malformedLines(count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SeededGenerator(seed: seed)
        func randomBytes(_ n: Int) -> [UInt8] {
            (0..<n).map { _ in
                var b = UInt8.random(in: 0...255, using: &rng)
                if b == 0x0A { b = 0x00 }  // NUL instead of a newline: lines stay lines
                return b
            }
        }
        /// The JSON text of one value (JSONSerialization of a one-element array, brackets cut).
        func text(_ value: Any) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: [value], options: [])) ?? Data("[0]".utf8)
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        }
        /// "s" string, "o" object, "a" array, "b" bool, "z" null, "n" number: by the text's first byte.
        func kind(_ json: String) -> Character {
            switch json.first {
            case "\"": return "s"
            case "{": return "o"
            case "[": return "a"
            case "t", "f": return "b"
            case "n": return "z"
            default: return "n"
            }
        }
        /// A top-level field (not "event") replaced by a value of another JSON type, sometimes
        /// with another field removed; or a nested number turned into a string.
        func mutateField(_ line: [UInt8]) -> [UInt8] {
            let original = String(decoding: line, as: UTF8.self)
            if original.contains("\"tokens\":2048") && Bool.random(using: &rng) {
                return Array(original.replacingOccurrences(of: "\"tokens\":2048", with: "\"tokens\":\"2048\"").utf8)
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return line }
            let keys = object.keys.filter { $0 != "event" }.sorted()
            let key = keys.randomElement(using: &rng)!
            let current = kind(text(object[key]!))
            let wrong = ["\"a string\"", "1.5", "[1,2]", "{\"nested\":true}", "true"].filter { kind($0) != current }
            let drop = Bool.random(using: &rng) ? keys.filter { $0 != key }.randomElement(using: &rng) : nil
            var fields = ["\"event\":" + text(object["event"]!)]
            for k in keys where k != drop {
                fields.append(text(k) + ":" + (k == key ? wrong.randomElement(using: &rng)! : text(object[k]!)))
            }
            return Array(("{" + fields.joined(separator: ",") + "}").utf8)
        }

        var lines: [[UInt8]] = []
        while lines.count < count {
            let valid = validLines.randomElement(using: &rng)!
            switch Int.random(in: 0..<12, using: &rng) {
            case 0, 1:  // random bytes, NUL and invalid UTF-8 included
                lines.append(randomBytes(Int.random(in: 1...300, using: &rng)))
            case 2, 3:  // truncated JSON
                lines.append(Array(valid.prefix(Int.random(in: 0..<valid.count, using: &rng))))
            case 4, 5:  // wrong types, missing fields
                lines.append(mutateField(valid))
            case 6:  // unknown event
                let name = ["stepp", "HELLO", "Step", "", "done ", "metrics", "hello\u{0}"].randomElement(using: &rng)!
                lines.append(Array(#"{"event":"\#(name)","time":1,"message":"x","rank":0}"#.utf8))
            case 7:  // JSON that is not an event object
                lines.append(Array(["[1,2,3]", "\"step\"", "42", "null", "true", "{}", "{\"time\":1}", "{\"event\":null}",
                                    "{\"event\":[\"step\"]}", " ", "\t{}\t"].randomElement(using: &rng)!.utf8))
            case 8:  // a valid line with a random byte flipped or a NUL/invalid UTF-8 spliced into it
                var line = valid
                let at = Int.random(in: 0..<line.count, using: &rng)
                line.insert([0x00, 0xFF, 0xC3, 0xED, 0x80].randomElement(using: &rng)!, at: at)
                // Inside a string a lone valid byte could survive: force invalid UTF-8 there.
                if line[at] == 0xC3 { line.insert(0x28, at: at + 1) }
                lines.append(line)
            case 9:  // deep nesting, to try the parser's recursion
                let depth = Int.random(in: 1_000...200_000, using: &rng)
                let open = Bool.random(using: &rng) ? UInt8(ascii: "[") : UInt8(ascii: "{")
                lines.append([UInt8](repeating: open, count: depth))
            case 10:  // over the maximum length (rarely: each is a megabyte)
                if Int.random(in: 0..<25, using: &rng) == 0 {
                    var line = valid
                    line.append(contentsOf: [UInt8](repeating: 0x20, count: TelemetrySchema.maxLineLength))
                    lines.append(line)
                } else {
                    lines.append(Array(valid.dropLast()) + Array(",\"event\":\"step\"".utf8))  // not closed
                }
            default:  // numbers out of range, duplicated or trailing junk
                lines.append(Array(["{\"event\":\"log\",\"time\":1,\"message\":\"m\",\"rank\":99999999999999999999999}",
                                    "{\"event\":\"log\",\"time\":1e999,\"message\":\"m\",\"rank\":0}",
                                    "{\"event\":\"checkpoint\",\"time\":1,\"step\":-0.5,\"path\":\"p\",\"bytes\":1,\"seconds\":1}",
                                    String(decoding: valid, as: UTF8.self) + " trailing",
                                    String(decoding: valid, as: UTF8.self) + String(decoding: valid, as: UTF8.self)]
                    .randomElement(using: &rng)!.utf8))
            }
        }
        return lines
    }

    func testTenThousandMalformedLinesAreEachCountedAsRejected() {
        let lines = Self.malformedLines(count: 10_000, seed: 0xC0FFEE)
        XCTAssertEqual(lines.count, 10_000)
        XCTAssertFalse(lines.contains { $0.contains(0x0A) })
        var parser = EventParser()
        var accepted: [[UInt8]] = []
        for line in lines {
            if case .success = parser.parse(line) { accepted.append(line) }
        }
        XCTAssertEqual(accepted.count, 0, "accepted: \(accepted.prefix(3).map { String(decoding: $0.prefix(300), as: UTF8.self) })")
        XCTAssertEqual(parser.counts.rejected, 10_000)
        XCTAssertEqual(parser.counts.accepted, 0)
        XCTAssertEqual(parser.counts.rejectedByCategory.values.reduce(0, +), 10_000)
        for category in ["empty", "too_long", "invalid_utf8", "not_json", "not_object", "missing_kind", "unknown_kind",
                         "invalid_fields"] {
            XCTAssertGreaterThan(parser.counts.rejectedByCategory[category] ?? 0, 0, "no line rejected as \(category)")
        }
        print("rejected by category: \(parser.counts.rejectedByCategory.sorted { $0.key < $1.key })")

        // The same parser still accepts good lines afterwards.
        for line in Self.validLines {
            guard case .success = parser.parse(line) else { return XCTFail("a valid line was rejected after the fuzz") }
        }
        XCTAssertEqual(parser.counts.accepted, Self.validLines.count)
    }

    func testTheStreamSplitsAndCountsTheSameLinesInAnyChunking() {
        let malformed = Self.malformedLines(count: 10_000, seed: 42)
        // Valid lines interleaved: every 50th line is a real event.
        var stream: [UInt8] = []
        var validCount = 0
        for (i, line) in malformed.enumerated() {
            stream += line
            stream.append(0x0A)
            if i % 50 == 0 {
                stream += Self.validLines[validCount % Self.validLines.count]
                stream.append(0x0A)
                validCount += 1
            }
        }
        var rng = SeededGenerator(seed: 7)
        var splitter = LineSplitter()
        var parser = EventParser()
        var events = 0
        var offset = 0
        var maxBuffered = 0
        while offset < stream.count {
            let n = min(stream.count - offset, Int.random(in: 1...200_000, using: &rng))
            for piece in splitter.append(stream[offset..<(offset + n)]) {
                switch piece {
                case .line(let line): if case .success = parser.parse(line) { events += 1 }
                case .overlong(let bytes): parser.rejectOverlong(bytes: bytes)
                }
            }
            maxBuffered = max(maxBuffered, splitter.bufferedBytes)
            offset += n
        }
        XCTAssertEqual(splitter.finish(), [])
        XCTAssertEqual(events, validCount)
        XCTAssertEqual(parser.counts.accepted, validCount)
        XCTAssertEqual(parser.counts.rejected, 10_000)
        XCTAssertGreaterThan(parser.counts.rejectedByCategory["too_long"] ?? 0, 0)
        XCTAssertLessThanOrEqual(maxBuffered, TelemetrySchema.maxLineLength)
    }

    func testTheControlDecoderRejectsTheSameLines() {
        var rejected = 0
        for line in Self.malformedLines(count: 2_000, seed: 99) + Self.validLines {
            if case .failure = ControlCommand.decode(line) { rejected += 1 }
        }
        XCTAssertEqual(rejected, 2_000 + Self.validLines.count)
    }
}

final class LineSplitterTests: XCTestCase {
    func testLinesSurviveAnyChunkBoundary() {
        let text = Array("one\ntwo\n\nthree\n".utf8)
        for size in 1...text.count {
            var splitter = LineSplitter(maxLength: 16)
            var pieces: [LineSplitter.Piece] = []
            var offset = 0
            while offset < text.count {
                pieces += splitter.append(text[offset..<min(offset + size, text.count)])
                offset += size
            }
            XCTAssertEqual(pieces, [.line(Array("one".utf8)), .line(Array("two".utf8)), .line([]), .line(Array("three".utf8))])
        }
    }

    func testALineOverTheLimitIsDiscardedAndReportedOnceWithItsLength() {
        var splitter = LineSplitter(maxLength: 4)
        XCTAssertEqual(splitter.append(Array("abcd\nabc".utf8)), [.line(Array("abcd".utf8))])
        XCTAssertEqual(splitter.append(Array("de".utf8)), [])
        XCTAssertLessThanOrEqual(splitter.bufferedBytes, 4)
        XCTAssertEqual(splitter.append(Array("fgh".utf8)), [])
        XCTAssertEqual(splitter.bufferedBytes, 0)
        XCTAssertEqual(splitter.append(Array("i\nok\nxxxxxxx".utf8)), [.overlong(bytes: 9), .line(Array("ok".utf8))])
        XCTAssertEqual(splitter.finish(), [.overlong(bytes: 7)])
        XCTAssertEqual(splitter.finish(), [])
    }

    func testAnUnterminatedLastLineIsReturnedAtTheEnd() {
        var splitter = LineSplitter(maxLength: 10)
        XCTAssertEqual(splitter.append(Array("a\nlast".utf8)), [.line(Array("a".utf8))])
        XCTAssertEqual(splitter.finish(), [.line(Array("last".utf8))])
    }
}
