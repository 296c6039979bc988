import Foundation
import SafeTensors
import TestSupport
import XCTest

/// Files written here load in Python's `safetensors` (the reference implementation, Rust
/// underneath), and files it writes load here. Needs MESHTOP_PYTHON: a python with safetensors
/// and numpy (scripts/test.sh sets it to the project's venv).
final class PythonCrossCheckTests: TemporaryFolderTestCase {
    var python: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard let py = ProcessInfo.processInfo.environment["MESHTOP_PYTHON"], !py.isEmpty else {
            throw XCTSkip("MESHTOP_PYTHON is not set: run scripts/test.sh, or export MESHTOP_PYTHON=<venv>/bin/python (a python with safetensors and numpy)")
        }
        let probe = try ProcessRunner.run([py, "-c", "import numpy, safetensors.numpy; print(safetensors.__version__)"], timeout: 60)
        guard probe.status == 0 else {
            throw XCTSkip("MESHTOP_PYTHON=\(py) cannot import safetensors and numpy (pip install safetensors numpy): \(probe.stderr.suffix(300))")
        }
        python = py
    }

    /// Runs a Python script with arguments; returns its stdout parsed as JSON.
    func runPython(_ script: String, _ args: [String]) throws -> Any {
        let r = try ProcessRunner.run([python, "-c", script] + args, timeout: 120)
        guard r.status == 0 else {
            XCTFail("python failed (\(r.status)): \(r.stderr)")
            throw TestSupportError("python failed")
        }
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    func testFileWrittenHereLoadsInPython() throws {
        var rng = SystemRandomNumberGenerator()
        let w0 = (0..<(16 * 12)).map { _ in Float.random(in: -2...2, using: &rng) }
        let special: [Float] = [0, -0.0, 1e-38, 3.4e38, -1.5, .leastNonzeroMagnitude]
        var w = SafeTensorsWriter()
        try w.add("layers.0.attention.wq.weight", shape: [16, 12], values: w0)
        try w.add("norm.weight", shape: [6], values: special)
        try w.add("scalar", shape: [], values: [Float(0.25)])
        try w.add("step", shape: [1], values: [Int64(300)])
        try w.add("rng", shape: [2, 2], values: [Int32(-7), 0, 1, .max])
        try w.add("mask", shape: [4], values: [UInt8(0), 1, 128, 255])
        try w.add("f64", shape: [3], values: [Double.pi, -1e-300, 1e300])
        try w.add("empty", shape: [0], values: [Float]())
        w.setMetadata("format", "pt")
        w.setMetadata("mesh", "[2, 4] \"quoted\" é\n")
        let p = path("swift.safetensors")
        try w.write(to: p)

        let script = """
        import json, sys
        import numpy as np
        from safetensors import safe_open
        from safetensors.numpy import load_file
        d = load_file(sys.argv[1])
        with safe_open(sys.argv[1], framework="np") as f:
            meta = f.metadata()
        out = {"metadata": meta, "tensors": {}}
        for k, v in d.items():
            out["tensors"][k] = {"dtype": str(v.dtype), "shape": list(v.shape),
                                 "hex": v.astype(v.dtype.newbyteorder("<")).tobytes().hex()}
        print(json.dumps(out))
        """
        let result = try XCTUnwrap(runPython(script, [p]) as? [String: Any])
        XCTAssertEqual(result["metadata"] as? [String: String], ["format": "pt", "mesh": "[2, 4] \"quoted\" é\n"])
        let tensors = try XCTUnwrap(result["tensors"] as? [String: [String: Any]])
        XCTAssertEqual(Set(tensors.keys), ["layers.0.attention.wq.weight", "norm.weight", "scalar", "step", "rng", "mask", "f64", "empty"])

        // Values are compared as bytes (Python prints them in hex): exact, -0.0 and subnormals included.
        func check<T>(_ name: String, _ dtype: String, _ shape: [Int], _ values: [T]) {
            let t = tensors[name]
            XCTAssertEqual(t?["dtype"] as? String, dtype, name)
            XCTAssertEqual(t?["shape"] as? [Int], shape, name)
            XCTAssertEqual(t?["hex"] as? String, hex(values), name)
        }
        check("layers.0.attention.wq.weight", "float32", [16, 12], w0)
        check("norm.weight", "float32", [6], special)
        check("scalar", "float32", [], [Float(0.25)])
        check("step", "int64", [1], [Int64(300)])
        check("rng", "int32", [2, 2], [Int32(-7), 0, 1, .max])
        check("mask", "uint8", [4], [UInt8(0), 1, 128, 255])
        check("f64", "float64", [3], [Double.pi, -1e-300, 1e300])
        check("empty", "float32", [0], [Float]())
    }

    func testFileWrittenByPythonLoadsHere() throws {
        let p = path("python.safetensors")
        let script = """
        import json, sys
        import numpy as np
        from safetensors.numpy import save_file
        rng = np.random.default_rng(1234)
        tensors = {
            "tok_embeddings.weight": rng.standard_normal((50, 16)).astype(np.float32),
            "layers.0.feed_forward.w1.weight": rng.standard_normal((24, 16)).astype(np.float32),
            "norm.weight": np.ones(16, dtype=np.float32),
            "step": np.array([12], dtype=np.int64),
            "rng_state": np.arange(-3, 3, dtype=np.int32).reshape(2, 3),
            "bytes": np.array([0, 9, 255], dtype=np.uint8),
            "f64": np.array([np.pi, -2.5], dtype=np.float64),
            "half": np.array([1.0, -2.0, 0.5], dtype=np.float16),
        }
        save_file(tensors, sys.argv[1], metadata={"format": "np", "step": "12"})
        out = {k: {"dtype": str(v.dtype), "shape": list(v.shape),
                   "hex": v.astype(v.dtype.newbyteorder("<")).tobytes().hex()}
               for k, v in tensors.items()}
        print(json.dumps(out))
        """
        let expected = try XCTUnwrap(runPython(script, [p]) as? [String: [String: Any]])
        let f = try SafeTensorsFile(path: p)
        XCTAssertEqual(f.metadata, ["format": "np", "step": "12"])
        XCTAssertEqual(Set(f.names), Set(expected.keys))
        /// Python's float32 values, from the hex of their bytes.
        func values(_ name: String) -> [Float] {
            let bytes = unhex(expected[name]?["hex"] as? String ?? "")
            return bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        func shape(_ name: String) -> [Int]? { expected[name]?["shape"] as? [Int] }

        for name in ["tok_embeddings.weight", "layers.0.feed_forward.w1.weight", "norm.weight"] {
            XCTAssertEqual(f[name]?.dtype, .f32, name)
            XCTAssertEqual(f[name]?.shape, shape(name), name)
            XCTAssertEqual(try f.read(name, as: Float.self).map(\.bitPattern), values(name).map(\.bitPattern), name)
        }
        XCTAssertEqual(try f.read("step", as: Int64.self), [12])
        XCTAssertEqual(try f.read("rng_state", as: Int32.self), [-3, -2, -1, 0, 1, 2])
        XCTAssertEqual(f["rng_state"]?.shape, [2, 3])
        XCTAssertEqual(try f.read("bytes", as: UInt8.self), [0, 9, 255])
        XCTAssertEqual(try f.read("f64", as: Double.self), [Double.pi, -2.5])
        XCTAssertEqual(f["half"]?.dtype, .f16)
        XCTAssertEqual(try f.readBytes("half"), [0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38]) // 1.0, -2.0, 0.5 in binary16
        XCTAssertEqual(try f.readConvertingToFloat("half"), [1, -2, 0.5])
        XCTAssertEqual(try f.readConvertingToFloat("f64"), [Float(Double.pi), -2.5])
        // A slice of the embedding (rows 10..<13) equals the same rows from Python.
        let rows = try f.read("tok_embeddings.weight", as: Float.self, elements: 160..<208)
        XCTAssertEqual(rows.map(\.bitPattern), Array(values("tok_embeddings.weight")[160..<208]).map(\.bitPattern))
        XCTAssertEqual(values("norm.weight"), [Float](repeating: 1, count: 16))
        // And the state-dict helper accepts it.
        XCTAssertNoThrow(try f.checkStateDict([
            ExpectedTensor(name: "tok_embeddings.weight", shape: [50, 16]),
            ExpectedTensor(name: "layers.0.feed_forward.w1.weight", shape: [24, 16]),
            ExpectedTensor(name: "norm.weight", shape: [16]),
        ], allowExtra: true))
    }

    func testLargeFileRoundTripsThroughPython() throws {
        // A debugmodel-sized tensor (the output projection, 2000 x 256) written here, re-saved by
        // Python under another name, read back here bit for bit.
        let n = 2000 * 256
        let values = (0..<n).map { Float(sin(Double($0))) }
        var w = SafeTensorsWriter()
        try w.add("output.weight", shape: [2000, 256], values: values)
        let a = path("a.safetensors"), b = path("b.safetensors")
        try w.write(to: a)
        let script = """
        import sys, json
        from safetensors.numpy import load_file, save_file
        d = load_file(sys.argv[1])
        save_file({"copy": d["output.weight"]}, sys.argv[2])
        print(json.dumps({"ok": True}))
        """
        _ = try runPython(script, [a, b])
        let back = try SafeTensorsFile(path: b).read("copy", as: Float.self)
        XCTAssertEqual(back.count, n)
        XCTAssertTrue(zip(back, values).allSatisfy { $0.bitPattern == $1.bitPattern })
    }
}

func hex<T>(_ values: [T]) -> String {
    values.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
}

func unhex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.utf8.makeIterator()
    while let a = it.next(), let b = it.next() {
        out.append(UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16)!)
    }
    return out
}
