import ArgumentParser
import CheckpointFiles
import Foundation
import ModelShape
import RunSpec

/// `meshtop export CHECKPOINT OUT.safetensors`: the model weights of a checkpoint, whatever mesh
/// wrote it, as one safetensors file under torchtitan's names (what `--save-weights` writes).
/// Reads the files directly: no MPI, no ranks.
public struct ExportCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's model weights as one .safetensors file (torchtitan's names).",
        discussion: """
            CHECKPOINT is a checkpoint folder (step-000010/), or a --checkpoint-dir, whose newest \
            complete checkpoint is exported. Every data file read is checked against the \
            manifest's size and SHA-256 first. The output loads with --init-weights.
            """)

    @Argument(help: ArgumentHelp("A checkpoint folder, or a folder of checkpoints (the newest is used).",
                                 valueName: "checkpoint"))
    public var checkpoint: String

    @Argument(help: ArgumentHelp("The .safetensors file to write.", valueName: "out.safetensors"))
    public var output: String

    public init() {}

    public func run() throws {
        try InputFile.requireWritable(output, output)
        let start = DispatchTime.now().uptimeNanoseconds
        let step = try InputError.refusing { try Self.export(checkpoint: checkpoint, to: output) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(String(format: "Exported step %d of %@ to %@ (%d tensors, %d parameters) in %.2f s", step.step,
                     step.folder, output, step.tensors, step.parameters, seconds))
    }

    /// Exports and returns what was written.
    @discardableResult
    public static func export(checkpoint: String, to output: String) throws
        -> (step: Int, folder: String, tensors: Int, parameters: Int) {
        try InputFile.requireFolder(checkpoint, checkpoint)
        var url = URL(fileURLWithPath: checkpoint)
        if !FileManager.default.fileExists(atPath: url.appendingPathComponent(CheckpointManifest.fileName).path) {
            guard let newest = CheckpointStore(directory: url).complete().last else {
                throw CheckpointError(.notFound, "\(checkpoint): neither a checkpoint folder (no manifest.json) nor a folder holding complete checkpoints")
            }
            url = newest.url
        }
        let reader = try CheckpointReader(url: url)
        let layout = ParameterLayout(config: reader.manifest.run.model)
        let full = UnsafeMutableBufferPointer<Float>.allocate(capacity: layout.count)
        defer { full.deallocate() }
        try reader.read(.params, pieces: [CanonicalPiece(local: 0, full: 0 ..< layout.count)], into: full)
        try Weights.save(UnsafeBufferPointer(full), layout: layout, to: output)
        return (reader.manifest.step, url.path, layout.tensors.count, layout.count)
    }
}
