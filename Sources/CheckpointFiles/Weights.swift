import ModelShape
import RunSpec
import SafeTensors

/// The full model as a state dict under torchtitan's names, in safetensors files.
public enum Weights {
    /// What a state dict of this layout must hold: every tensor, by name and shape.
    public static func expected(_ layout: ParameterLayout) -> [ExpectedTensor] {
        layout.tensors.map { ExpectedTensor(name: $0.name, shape: $0.shape) }
    }

    /// Reads a state dict into the flat buffer; a missing, extra or misshaped tensor is an error
    /// naming the tensor and both shapes.
    public static func load(_ path: String, into parameters: UnsafeMutableBufferPointer<Float>,
                            layout: ParameterLayout) throws {
        let file = try SafeTensorsFile(path: path)
        let offsets = Dictionary(uniqueKeysWithValues: layout.tensors.map { ($0.name, $0.offset) })
        try file.loadStateDict(expected(layout)) { tensor in
            let start = offsets[tensor.name]!
            return UnsafeMutableBufferPointer(rebasing: parameters[start ..< start + tensor.elementCount])
        }
    }

    /// Writes the flat buffer as a state dict (atomically: a crash leaves no half file).
    public static func save(_ parameters: UnsafeBufferPointer<Float>, layout: ParameterLayout, to path: String) throws {
        var writer = SafeTensorsWriter()
        writer.setMetadata("format", "pt")
        for tensor in layout.tensors {
            try writer.add(tensor.name, shape: tensor.shape,
                           borrowing: UnsafeBufferPointer(rebasing: parameters[tensor.offset ..< tensor.offset + tensor.count]))
        }
        try writer.write(to: path)
    }

    /// Every tensor of a file as Float arrays, by name (for comparisons and export checks).
    public static func readAll(_ path: String) throws -> [String: [Float]] {
        let file = try SafeTensorsFile(path: path)
        var out: [String: [Float]] = [:]
        for name in file.names { out[name] = try file.readConvertingToFloat(name) }
        return out
    }
}
