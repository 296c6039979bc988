import CheckpointFiles
import Dataset
import Foundation
import RunSpec
import SafeTensors
import Tokenizer

/// What the front end reads of a run's files before launching it, so a file of the wrong
/// format is refused in one line instead of by every rank after mpirun has started them.
/// Cheap: the tokenizer (a few hundred KB), a token file's header, a weight file's header.
enum RunInputs {
    static func check(_ config: RunSpecification) throws {
        func reason(_ error: Error, _ path: String) -> String {
            let line = ErrorText.line(error)
            return line.hasPrefix(path + ": ") ? String(line.dropFirst(path.count + 2)) : line
        }
        let tokenizer: BPETokenizer
        do { tokenizer = try BPETokenizer(contentsOf: config.tokenizerPath) } catch {
            throw InputError("--tokenizer \(config.tokenizerPath): \(reason(error, config.tokenizerPath))")
        }
        guard tokenizer.vocabSize <= config.model.vocabSize else {
            throw InputError("--tokenizer \(config.tokenizerPath) has \(tokenizer.vocabSize) tokens, more than the "
                + "model's vocab_size \(config.model.vocabSize) (--vocab-size)")
        }
        if try TokenSource.kind(of: config.dataPath) == .bin {
            do { _ = try TokenFile.validate(config.dataPath) } catch {
                throw InputError("--data \(config.dataPath): \(reason(error, config.dataPath))")
            }
        }
        try checkResume(config)
        if let path = config.initWeights {
            do { _ = try SafeTensorsFile(path: path) } catch {
                throw InputError("--init-weights \(path): \(reason(error, path))")
            }
        }
    }

    /// The checkpoint a resume names, by its manifest (the ranks verify the data's checksums):
    /// a step that is not there, or one written for another model, is refused before launching.
    /// A resume with nothing to resume from starts fresh, as the ranks would.
    static func checkResume(_ config: RunSpecification) throws {
        guard let policy = config.resume, let dir = config.checkpointDir else { return }
        let store = CheckpointStore(path: dir)
        let complete = store.complete()
        let step: Int
        switch policy {
        case .latestValid: return  // falls back past damaged ones: the ranks decide
        case .latest:
            guard let newest = complete.last else { return }
            step = newest.step
        case let .step(n):
            guard complete.contains(where: { $0.step == n }) else {
                let have = complete.isEmpty ? "none" : complete.map { String($0.step) }.joined(separator: ", ")
                throw InputError("--resume-step \(n): no complete checkpoint of step \(n) in \(dir) (complete steps: \(have))")
            }
            step = n
        }
        let option = policy == .latest ? "--resume" : "--resume-step \(step)"
        do {
            try CheckpointReader(url: store.url(step: step)).checkModel(config.model)
        } catch {
            throw InputError("\(option): \(ErrorText.line(error))")
        }
    }
}
