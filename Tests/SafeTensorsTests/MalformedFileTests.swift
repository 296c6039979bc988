import Foundation
import SafeTensors
import XCTest

/// Each way a file can be broken gives its own error kind, naming the file and the problem.
final class MalformedFileTests: TemporaryFolderTestCase {
    func testMissingFile() {
        assertOpenFails(path("nothing-here.safetensors"), .io, ["cannot open", "No such file"])
    }

    func testShorterThanTheHeaderLength() throws {
        let p = path("tiny.safetensors")
        try Data([1, 2, 3, 4, 5]).write(to: URL(fileURLWithPath: p))
        assertOpenFails(p, .truncated, ["truncated", "5 bytes"])
    }

    func testTruncatedData() throws {
        var w = SafeTensorsWriter()
        try w.add("a", shape: [4], values: [Float(1), 2, 3, 4])
        try w.add("b", shape: [2], values: [Float(5), 6])
        let p = path("cut.safetensors")
        try w.write(to: p)
        let full = try Data(contentsOf: URL(fileURLWithPath: p))
        try full.prefix(full.count - 3).write(to: URL(fileURLWithPath: p))
        assertOpenFails(p, .truncated, ["truncated", "need 24 bytes", "has 21"])
    }

    func testHeaderLengthPastTheEnd() throws {
        let p = try craft("long.safetensors", header: "{}", length: 1000)
        assertOpenFails(p, .headerLengthPastEnd, ["header length 1000", "past the end", "10 bytes"])
        let huge = try craft("huge.safetensors", header: "{}", length: UInt64.max)
        assertOpenFails(huge, .headerLengthPastEnd, ["\(UInt64.max)"])
    }

    func testBadJSON() throws {
        let p = try craft("json.safetensors", header: #"{"a": {"dtype": "F32", "shape": [1]"#)
        assertOpenFails(p, .badJSON, ["bad JSON", "at byte"])
        let q = try craft("json2.safetensors", header: #"{"a": 1,}"#)
        assertOpenFails(q, .badJSON, ["expected a string key"])
        let r = try craft("json3.safetensors", header: "{} x")
        assertOpenFails(r, .badJSON, ["unexpected text"])
    }

    func testWrongHeaderShape() throws {
        assertOpenFails(try craft("arr.safetensors", header: "[1, 2]"), .badHeader, ["an array, not a JSON object"])
        assertOpenFails(try craft("nofield.safetensors", header: #"{"w": {"dtype": "F32", "shape": [1]}}"#, data: floatBytes([1])),
                        .badHeader, ["w: no \"data_offsets\" field"])
        assertOpenFails(try craft("frac.safetensors", header: #"{"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#),
                        .badHeader, ["w: shape"])
        assertOpenFails(try craft("dup.safetensors", header: #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, data: floatBytes([1])),
                        .badHeader, ["\"w\" appears twice"])
        assertOpenFails(try craft("meta.safetensors", header: #"{"__metadata__": {"step": 3}}"#),
                        .badHeader, ["__metadata__[\"step\"] is a number"])
    }

    func testUnknownDtype() throws {
        let p = try craft("dtype.safetensors", header: #"{"w": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}}"#,
                          data: floatBytes([1]))
        assertOpenFails(p, .unknownDtype, ["w: unknown dtype \"F33\""])
    }

    func testOffsetsNotMatchingShapeTimesDtypeSize() throws {
        let p = try craft("size.safetensors", header: #"{"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}}"#,
                          data: floatBytes([1, 2, 3]))
        assertOpenFails(p, .sizeMismatch, ["w: data_offsets [0, 12] span 12 bytes, but F32 [2, 2] needs 16"])
    }

    func testOffsetsOutOfRange() throws {
        // 8 bytes of data for two 4-byte tensors, but b claims bytes 8..<12.
        let p = try craft("range.safetensors", header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}"#,
                          data: floatBytes([1, 2]))
        assertOpenFails(p, .offsetsOutOfRange, ["b: data_offsets [8, 12] run past the end of the data (8 bytes)"])
        let q = try craft("reversed.safetensors", header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}"#,
                          data: floatBytes([1]))
        assertOpenFails(q, .offsetsOutOfRange, ["a: data_offsets [4, 0] end before they begin"])
    }

    func testOverlappingOffsets() throws {
        let p = try craft("overlap.safetensors", header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#,
                          data: floatBytes([1, 2, 3, 4]))
        assertOpenFails(p, .offsetsOverlap, ["b: data_offsets [4, 12] overlap a"])
    }

    func testGapsAndTrailingBytes() throws {
        let p = try craft("gap.safetensors", header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}"#,
                          data: floatBytes([1, 2, 3]))
        assertOpenFails(p, .offsetsGap, ["b: data_offsets start at 8", "unused"])
        let q = try craft("trailing.safetensors", header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#,
                          data: floatBytes([1, 2]))
        assertOpenFails(q, .offsetsGap, ["4 bytes after the last tensor"])
    }

    func testHandCraftedValidFileWithUnorderedKeysAndWhitespace() throws {
        // Keys out of data order, extra whitespace, a \u escape: all valid.
        let header = #" { "b" : {"dtype":"I32","shape":[2],"data_offsets":[4,12]} , "a\u00e9": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]} }   "#
        let data = floatBytes([2.5]) + [7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        let p = try craft("ok.safetensors", header: header, data: data)
        let f = try SafeTensorsFile(path: p)
        XCTAssertEqual(f.names, ["aé", "b"])
        XCTAssertEqual(try f.read("aé", as: Float.self), [2.5])
        XCTAssertEqual(try f.read("b", as: Int32.self), [7, -1])
    }
}
