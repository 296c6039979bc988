/// A tensor a model expects to find in a state dict.
public struct ExpectedTensor: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var dtype: SafeTensorsDType

    public init(name: String, shape: [Int], dtype: SafeTensorsDType = .f32) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
    }

    public var elementCount: Int { shape.reduce(1, *) }
}

extension SafeTensorsFile {
    /// Every way the file differs from `expected`, one line each (empty when it matches):
    /// `layers.0.attention.wq.weight: file has [256, 128], model expects [256, 256]`,
    /// `norm.weight: missing from the file (model expects [256])`,
    /// `extra.bias: in the file ([3]) but not in the model` (unless `allowExtra`),
    /// `step: file has I64, model expects F32`.
    public func stateDictProblems(_ expected: [ExpectedTensor], allowExtra: Bool = false) -> [String] {
        var problems: [String] = []
        var wanted: Set<String> = []
        for e in expected {
            wanted.insert(e.name)
            guard let t = self[e.name] else {
                problems.append("\(e.name): missing from the file (model expects \(shapeText(e.shape)))")
                continue
            }
            if t.shape != e.shape {
                problems.append("\(e.name): file has \(shapeText(t.shape)), model expects \(shapeText(e.shape))")
            }
            if t.dtype != e.dtype {
                problems.append("\(e.name): file has \(t.dtype.rawValue), model expects \(e.dtype.rawValue)")
            }
        }
        if !allowExtra {
            for t in tensors where !wanted.contains(t.name) {
                problems.append("\(t.name): in the file (\(t.dtype.rawValue) \(shapeText(t.shape))) but not in the model")
            }
        }
        return problems
    }

    /// Throws a `stateDictMismatch` error listing every problem when the file does not hold
    /// exactly `expected` (or a superset, with `allowExtra`).
    public func checkStateDict(_ expected: [ExpectedTensor], allowExtra: Bool = false) throws {
        let problems = stateDictProblems(expected, allowExtra: allowExtra)
        guard problems.isEmpty else {
            let head = problems.count == 1 ? "state dict does not match the model: "
                : "state dict does not match the model (\(problems.count) problems):\n  "
            throw SafeTensorsError(.stateDictMismatch, path: path, head + problems.joined(separator: "\n  "))
        }
    }

    /// Checks the file against `expected` (all F32), then reads each tensor into the buffer
    /// `destination` returns for it, which must hold exactly its elements.
    public func loadStateDict(_ expected: [ExpectedTensor], allowExtra: Bool = false,
                              into destination: (ExpectedTensor) throws -> UnsafeMutableBufferPointer<Float>) throws {
        try checkStateDict(expected, allowExtra: allowExtra)
        for e in expected {
            try read(e.name, into: try destination(e))
        }
    }

    /// Checks the file against `expected` (all F32) and returns the tensors as arrays.
    public func loadStateDict(_ expected: [ExpectedTensor], allowExtra: Bool = false) throws -> [String: [Float]] {
        try checkStateDict(expected, allowExtra: allowExtra)
        var out: [String: [Float]] = [:]
        for e in expected { out[e.name] = try read(e.name, as: Float.self) }
        return out
    }
}
