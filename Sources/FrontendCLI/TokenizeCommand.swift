import ArgumentParser
import Dataset
import Foundation
import RunSpec
import Tokenizer

/// `meshtop tokenize --tokenizer FILE INPUT -o OUT.bin`: a text or .jsonl file's ids as an llm.c
/// token file (no BOS/EOS added).
public struct TokenizeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize a .txt or .jsonl file into an llm.c token file (.bin).")

    @Option(name: .customLong("tokenizer"), help: "A Hugging Face byte-level BPE tokenizer.json.")
    public var tokenizer: String

    @Argument(help: "The text (.txt) or JSON-lines (.jsonl, a \"text\" field per line) file.")
    public var input: String

    @Option(name: [.customShort("o"), .customLong("output")], help: "The token file to write.")
    public var output: String

    public init() {}

    public func run() throws {
        try InputFile.requireReadable(tokenizer, "--tokenizer \(tokenizer)")
        try InputFile.requireReadable(input, input)
        try InputFile.requireWritable(output, "--output \(output)")
        let tok = try InputError.refusing { try BPETokenizer(contentsOf: tokenizer) }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: input)[.size] as? Int) ?? 0
        let start = DispatchTime.now().uptimeNanoseconds
        let ids = try InputError.refusing { try TokenSource.tokenize(path: input, tokenizer: tok) }
        let seconds = max(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, 1e-9)
        try TokenFile.write(ids, to: output)
        let megabytes = Double(bytes) / 1e6
        print("\(ids.count) tokens written to \(output)")
        print(String(format: "%.2f MB tokenized in %.3f s: %.1f MB/s", megabytes, seconds, megabytes / seconds))
    }
}
