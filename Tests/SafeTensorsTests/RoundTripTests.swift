import Foundation
import SafeTensors
import XCTest

final class RoundTripTests: TemporaryFolderTestCase {
    func testRoundTripOfEveryWritableDtypeAndMetadata() throws {
        let weights = (0..<24).map { Float($0) * 0.25 - 3 }
        let moments: [Float] = [1e-30, -0, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 1, 2, 3]
        var w = SafeTensorsWriter()
        try w.add("layers.0.attention.wq.weight", shape: [4, 6], values: weights)
        try moments.withUnsafeBufferPointer { try w.add("m", shape: [7], copying: $0) }
        try w.add("step", shape: [], values: [Int64(1234567890123)])
        try w.add("rng.state", shape: [2, 2], values: [Int32.min, -1, 0, .max])
        try w.add("bytes", shape: [3], values: [UInt8(0), 7, 255])
        try w.add("double", shape: [2], values: [Double.pi, -1e300])
        try w.add("empty", shape: [0, 5], values: [Float]())
        w.setMetadata("format", "pt")
        w.setMetadata("note", "quote \" backslash \\ newline \n tab \t héllo ✓ \u{01}")
        w.setMetadata("format", "meshtop") // replaces, keeps its place
        let p = path("a.safetensors")
        try w.write(to: p)

        let f = try SafeTensorsFile(path: p)
        XCTAssertEqual(f.names, ["layers.0.attention.wq.weight", "m", "step", "rng.state", "bytes", "double", "empty"])
        XCTAssertEqual(f.metadata, ["format": "meshtop", "note": "quote \" backslash \\ newline \n tab \t héllo ✓ \u{01}"])
        XCTAssertEqual(f["layers.0.attention.wq.weight"]?.shape, [4, 6])
        XCTAssertEqual(f["layers.0.attention.wq.weight"]?.dtype, .f32)
        XCTAssertEqual(f["step"]?.shape, [])
        XCTAssertEqual(f["step"]?.dtype, .i64)
        XCTAssertEqual(try f.read("layers.0.attention.wq.weight", as: Float.self), weights)
        XCTAssertEqual(try f.read("m", as: Float.self).map(\.bitPattern), moments.map(\.bitPattern))
        XCTAssertEqual(try f.read("step", as: Int64.self), [1234567890123])
        XCTAssertEqual(try f.read("rng.state", as: Int32.self), [Int32.min, -1, 0, .max])
        XCTAssertEqual(try f.read("bytes", as: UInt8.self), [0, 7, 255])
        XCTAssertEqual(try f.read("double", as: Double.self), [Double.pi, -1e300])
        XCTAssertEqual(try f.read("empty", as: Float.self), [])
        XCTAssertEqual(f["empty"]?.elementCount, 0)
        XCTAssertEqual(try f.readBytes("bytes"), [0, 7, 255])

        // The layout: 8-byte length, a header padded with spaces to a multiple of 8, packed data.
        let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: p)))
        let n = raw[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(n % 8, 0)
        XCTAssertEqual(f.dataStart, 8 + n)
        XCTAssertEqual(raw.count, 8 + n + 24 * 4 + 7 * 4 + 8 + 16 + 3 + 16)
        let header = String(decoding: raw[8..<(8 + n)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{\"__metadata__\":{\"format\":\"meshtop\",\"note\":"), header)
        XCTAssertTrue(header.contains("\"layers.0.attention.wq.weight\":{\"dtype\":\"F32\",\"shape\":[4,6],\"data_offsets\":[0,96]}"), header)
        XCTAssertEqual(Array(raw[(8 + n)..<(8 + n + 96)]), floatBytes(weights))
    }

    func testBorrowedBuffersAndWholeReadsIntoCallerMemory() throws {
        let count = 1000
        let params = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { params.deallocate() }
        for i in 0..<count { params[i] = Float(i) * 0.5 }
        var w = SafeTensorsWriter()
        try w.add("p", shape: [10, 100], borrowing: UnsafeBufferPointer(params))
        let p = path("b.safetensors")
        try w.write(to: p)

        let f = try SafeTensorsFile(path: p)
        let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { out.deallocate() }
        try f.read("p", into: out)
        XCTAssertEqual(Array(out), Array(params))
    }

    func testSliceReadsOnlyTheRange() throws {
        let values = (0..<100).map { Float($0) }
        var w = SafeTensorsWriter()
        try w.add("before", shape: [3], values: [Float](repeating: -1, count: 3))
        try w.add("x", shape: [10, 10], values: values)
        try w.add("after", shape: [2], values: [Int64(5), 6])
        let p = path("s.safetensors")
        try w.write(to: p)
        let f = try SafeTensorsFile(path: p)
        XCTAssertEqual(try f.read("x", as: Float.self, elements: 37..<53), Array(values[37..<53]))
        XCTAssertEqual(try f.read("x", as: Float.self, elements: 0..<1), [0])
        XCTAssertEqual(try f.read("x", as: Float.self, elements: 99..<100), [99])
        XCTAssertEqual(try f.read("x", as: Float.self, elements: 50..<50), [])
        XCTAssertEqual(try f.read("after", as: Int64.self, elements: 1..<2), [6])
        var shard = [Float](repeating: 0, count: 25)
        try shard.withUnsafeMutableBufferPointer { try f.read("x", elements: 75..<100, into: $0) }
        XCTAssertEqual(shard, Array(values[75..<100]))

        // Out of range, wrong buffer size, wrong type, unknown name.
        func expect(_ kind: SafeTensorsError.Kind, _ fragment: String, _ body: () throws -> Void) {
            XCTAssertThrowsError(try body()) { error in
                let e = error as? SafeTensorsError
                XCTAssertEqual(e?.kind, kind, "\(error)")
                XCTAssertTrue(e?.message.contains(fragment) ?? false, "\(error)")
            }
        }
        expect(.badRequest, "outside its 100 elements") { _ = try f.read("x", as: Float.self, elements: 90..<101) }
        expect(.badRequest, "a buffer of 25 elements for 10") {
            try shard.withUnsafeMutableBufferPointer { try f.read("x", elements: 0..<10, into: $0) }
        }
        expect(.badRequest, "a buffer of 25 elements for F32 [10, 10]") {
            try shard.withUnsafeMutableBufferPointer { try f.read("x", into: $0) }
        }
        expect(.dtypeMismatch, "after is I64, cannot read it as F32") { _ = try f.read("after", as: Float.self) }
        expect(.noSuchTensor, "\"nope\"") { _ = try f.read("nope", as: Float.self) }
    }

    func testWriteIsAtomicAndReplacesTheOldFile() throws {
        let p = path("ckpt.safetensors")
        var w1 = SafeTensorsWriter()
        try w1.add("a", shape: [2], values: [Float(1), 2])
        try w1.write(to: p)
        var w2 = SafeTensorsWriter()
        try w2.add("b", shape: [1], values: [Float(3)])
        try w2.write(to: p)
        XCTAssertEqual(try SafeTensorsFile(path: p).names, ["b"])
        // No temporary files left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["ckpt.safetensors"])
        // A folder that does not exist: an io error naming the path, nothing written.
        let missing = path("no/such/folder/x.safetensors")
        XCTAssertThrowsError(try w2.write(to: missing)) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.kind, .io)
            XCTAssertTrue("\(error)".contains(missing), "\(error)")
        }
    }

    func testWriterRejectsBadTensors() {
        var w = SafeTensorsWriter()
        XCTAssertThrowsError(try w.add("a", shape: [2, 3], values: [Float](repeating: 0, count: 5))) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.kind, .invalidTensor)
            XCTAssertTrue("\(error)".contains("a: shape [2, 3] has 6 elements, 5 values given"), "\(error)")
        }
        XCTAssertNoThrow(try w.add("a", shape: [1], values: [Float(0)]))
        XCTAssertThrowsError(try w.add("a", shape: [1], values: [Float(0)])) { error in
            XCTAssertTrue("\(error)".contains("a: added twice"), "\(error)")
        }
        XCTAssertThrowsError(try w.add("__metadata__", shape: [1], values: [Float(0)]))
        XCTAssertThrowsError(try w.add("neg", shape: [-1], values: [Float]()))
        XCTAssertThrowsError(try w.addRaw("h", dtype: .f16, shape: [3], bytes: [0, 0, 0, 0]))
        XCTAssertNoThrow(try w.addRaw("h", dtype: .bf16, shape: [2], bytes: [0, 0x3F, 0x80, 0x3F]))
    }

    func testEmptyFile() throws {
        let p = path("empty.safetensors")
        try SafeTensorsWriter().write(to: p)
        let f = try SafeTensorsFile(path: p)
        XCTAssertEqual(f.tensors, [])
        XCTAssertEqual(f.metadata, [:])
        XCTAssertEqual(f.fileSize, 16) // "{}" padded to 8
    }

    func testReadingHalfBFloatAndDoubleAsFloat() throws {
        func le(_ bits: [UInt16]) -> [UInt8] { bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
        var w = SafeTensorsWriter()
        // binary16: 1, -2, 0.5, 65504 (max), 2^-24 (smallest subnormal), -inf, -0
        try w.addRaw("half", dtype: .f16, shape: [7], bytes: le([0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0xFC00, 0x8000]))
        // bfloat16: 1, -2.5, 3.0e38-ish (0x7F61), 1e-40-ish subnormal (0x0001)
        try w.addRaw("bf", dtype: .bf16, shape: [2, 2], bytes: le([0x3F80, 0xC020, 0x7F61, 0x0001]))
        try w.add("wide", shape: [3], values: [1.0 / 3.0, -1e-50, 1e300])
        try w.add("plain", shape: [2], values: [Float(1.5), -2])
        try w.add("ints", shape: [1], values: [Int32(1)])
        let p = path("convert.safetensors")
        try w.write(to: p)
        let f = try SafeTensorsFile(path: p)

        let half = try f.readConvertingToFloat("half")
        XCTAssertEqual(Array(half[0..<5]), [1, -2, 0.5, 65504, Float(1) / Float(1 << 24)])
        XCTAssertEqual(half[5], -.infinity)
        XCTAssertEqual(half[6].bitPattern, (-0.0 as Float).bitPattern)
        let bf = try f.readConvertingToFloat("bf")
        XCTAssertEqual(bf.map(\.bitPattern), [0x3F80_0000, 0xC020_0000, 0x7F61_0000, 0x0001_0000])
        XCTAssertEqual(try f.readConvertingToFloat("wide"), [Float(1.0 / 3.0), -0.0, .infinity])
        XCTAssertEqual(try f.readConvertingToFloat("plain"), [1.5, -2])
        var two = [Float](repeating: 0, count: 2)
        try two.withUnsafeMutableBufferPointer { try f.readConvertingToFloat("half", elements: 2..<4, into: $0) }
        XCTAssertEqual(two, [0.5, 65504])
        try two.withUnsafeMutableBufferPointer { try f.readConvertingToFloat("bf", elements: 0..<2, into: $0) }
        XCTAssertEqual(two, [1, -2.5])
        XCTAssertThrowsError(try f.readConvertingToFloat("ints")) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.kind, .dtypeMismatch)
        }
        XCTAssertThrowsError(try two.withUnsafeMutableBufferPointer { try f.readConvertingToFloat("half", elements: 6..<8, into: $0) }) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.kind, .badRequest)
        }
    }
}
