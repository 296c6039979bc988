import Dataset
import Foundation
import RunSpec
import SafeTensors
import Tokenizer
import Trainer

/// What the front end reads of a run's files before launching it, so a file of the wrong
/// format is refused in one line instead of by every rank after mpirun has started them.
/// Cheap: the tokenizer (a few hundred KB), a token file's header, a weight file's header.
enum RunInputs {
    static func check(_ config: TrainingConfig) throws {
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
            do { _ = try TokenFile.read(config.dataPath) } catch {
                throw InputError("--data \(config.dataPath): \(reason(error, config.dataPath))")
            }
        }
        if let path = config.initWeights {
            do { _ = try SafeTensorsFile(path: path) } catch {
                throw InputError("--init-weights \(path): \(reason(error, path))")
            }
        }
    }
}
