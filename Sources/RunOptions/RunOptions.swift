import ArgumentParser
import Dataset
import RunSpec

/// The run a command line describes: the option groups both executables declare, resolved into
/// one RunSpecification, and the files it names checked before anything starts.
public enum RunOptions {
    /// The specification of `model`, `training` and `checkpoints` on `mesh`, validated (every
    /// value in range, no two resume options) but with no file opened: `checkFiles` does that.
    public static func specification(model: ModelOptions, training: TrainingOptions, checkpoints: CheckpointOptions,
                                     mesh: MeshShape) throws -> RunSpecification {
        var spec = try training.resolve(model: model.resolve())
        try checkpoints.apply(to: &spec)
        spec.mesh = mesh
        try spec.validate()
        return spec
    }

    /// The specification an argument list of the option groups describes (the ranks' own, from
    /// `RankArguments.of`, or a test's): `--mesh` and the groups' options.
    public static func specification(parsing arguments: [String]) throws -> RunSpecification {
        let parsed = try Groups.parse(arguments)
        return try specification(model: parsed.model, training: parsed.training, checkpoints: parsed.checkpoints,
                                 mesh: parsed.mesh.map(MeshShape.parse) ?? MeshShape(replicate: 1, shard: 1))
    }

    /// The files and folders `spec` names: readable inputs of a kind meshtop reads, writable outputs.
    public static func checkFiles(_ spec: RunSpecification) throws {
        try InputFile.requireReadable(spec.dataPath, "--data \(spec.dataPath)")
        do { _ = try TokenSource.kind(of: spec.dataPath) } catch {
            throw InputError("--data \(spec.dataPath): not a .txt, .jsonl or .bin file (the extension says which)")
        }
        try InputFile.requireReadable(spec.tokenizerPath, "--tokenizer \(spec.tokenizerPath)")
        if let path = spec.initWeights { try InputFile.requireReadable(path, "--init-weights \(path)") }
        if let path = spec.saveWeights { try InputFile.requireWritable(path, "--save-weights \(path)") }
        try InputFile.requireFolderOrAbsent(spec.dumpFolder, "--dump-folder \(spec.dumpFolder)")
        if let dir = spec.checkpointDir { try InputFile.requireFolderOrAbsent(dir, "--checkpoint-dir \(dir)") }
    }

    private struct Groups: ParsableArguments {
        @Option var mesh: String?
        @OptionGroup var model: ModelOptions
        @OptionGroup var training: TrainingOptions
        @OptionGroup var checkpoints: CheckpointOptions
    }
}
