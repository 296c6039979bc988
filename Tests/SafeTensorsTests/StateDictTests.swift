import Foundation
import SafeTensors
import XCTest

final class StateDictTests: TemporaryFolderTestCase {
    func writeModel(_ shapes: [(String, [Int])], extra: [(String, [Int64])] = []) throws -> String {
        var w = SafeTensorsWriter()
        for (name, shape) in shapes {
            let n = shape.reduce(1, *)
            try w.add(name, shape: shape, values: (0..<n).map { Float($0) })
        }
        for (name, values) in extra { try w.add(name, shape: [values.count], values: values) }
        let p = path("model.safetensors")
        try w.write(to: p)
        return p
    }

    let expected = [
        ExpectedTensor(name: "tok_embeddings.weight", shape: [20, 8]),
        ExpectedTensor(name: "layers.0.attention.wq.weight", shape: [8, 8]),
        ExpectedTensor(name: "norm.weight", shape: [8]),
    ]

    func testLoadsAMatchingStateDict() throws {
        let p = try writeModel(expected.map { ($0.name, $0.shape) })
        let f = try SafeTensorsFile(path: p)
        XCTAssertEqual(f.stateDictProblems(expected), [])
        let dict = try f.loadStateDict(expected)
        XCTAssertEqual(dict["norm.weight"], (0..<8).map { Float($0) })
        XCTAssertEqual(dict["tok_embeddings.weight"]?.count, 160)

        var storage = [String: UnsafeMutableBufferPointer<Float>]()
        defer { storage.values.forEach { $0.deallocate() } }
        try f.loadStateDict(expected) { e in
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: e.elementCount)
            storage[e.name] = b
            return b
        }
        XCTAssertEqual(Array(storage["layers.0.attention.wq.weight"]!), (0..<64).map { Float($0) })
    }

    func testMisshapedTensorNamesBothShapes() throws {
        let p = try writeModel([("tok_embeddings.weight", [20, 8]), ("layers.0.attention.wq.weight", [8, 4]), ("norm.weight", [8])])
        let f = try SafeTensorsFile(path: p)
        XCTAssertThrowsError(try f.checkStateDict(expected)) { error in
            let e = error as? SafeTensorsError
            XCTAssertEqual(e?.kind, .stateDictMismatch)
            XCTAssertEqual(e?.message, "state dict does not match the model: layers.0.attention.wq.weight: file has [8, 4], model expects [8, 8]")
            XCTAssertTrue("\(error)".hasPrefix(p + ": "))
        }
    }

    func testMissingExtraAndWrongDtypeAllReported() throws {
        let p = try writeModel([("tok_embeddings.weight", [20, 8]), ("norm.weight", [8]), ("output.weight", [20, 8])],
                               extra: [("layers.0.attention.wq.weight", Array(repeating: 0, count: 64))])
        let f = try SafeTensorsFile(path: p)
        let problems = f.stateDictProblems(expected)
        XCTAssertEqual(problems, [
            "layers.0.attention.wq.weight: file has [64], model expects [8, 8]",
            "layers.0.attention.wq.weight: file has I64, model expects F32",
            "output.weight: in the file (F32 [20, 8]) but not in the model",
        ])
        XCTAssertEqual(f.stateDictProblems(expected, allowExtra: true).count, 2)
        XCTAssertThrowsError(try f.loadStateDict(expected)) { error in
            XCTAssertTrue("\(error)".contains("(3 problems)"), "\(error)")
        }

        let q = try writeModel([("tok_embeddings.weight", [20, 8])])
        let g = try SafeTensorsFile(path: q)
        XCTAssertEqual(g.stateDictProblems(expected), [
            "layers.0.attention.wq.weight: missing from the file (model expects [8, 8])",
            "norm.weight: missing from the file (model expects [8])",
        ])
    }
}
