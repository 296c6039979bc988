import Foundation
import Tokenizer

// bench-tokenizer [TOKENIZER.json] [CORPUS] [REPEATS]: encode throughput on one core, in MB/s.
// Each repeat uses a fresh tokenizer (cold word cache), so the figure includes the BPE merges.
let arguments = CommandLine.arguments
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let tokenizerPath = arguments.count > 1 ? arguments[1] : root.appendingPathComponent("data/tokenizer.json").path
let corpusPath = arguments.count > 2 ? arguments[2] : root.appendingPathComponent("data/tinyshakespeare.txt").path
let repeats = arguments.count > 3 ? Int(arguments[3]) ?? 5 : 5

do {
    let data = try Data(contentsOf: URL(fileURLWithPath: corpusPath))
    var best = Double.infinity
    var tokens = 0
    var warm = Double.infinity
    for _ in 0..<repeats {
        let tokenizer = try BPETokenizer(contentsOf: tokenizerPath)
        let start = DispatchTime.now().uptimeNanoseconds
        let ids = data.withUnsafeBytes { tokenizer.encode(bytes: $0.bindMemory(to: UInt8.self)) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        best = min(best, seconds)
        tokens = ids.count
        let again = DispatchTime.now().uptimeNanoseconds
        _ = data.withUnsafeBytes { tokenizer.encode(bytes: $0.bindMemory(to: UInt8.self)) }
        warm = min(warm, Double(DispatchTime.now().uptimeNanoseconds - again) / 1e9)
    }
    let mb = Double(data.count) / 1e6
    print(String(format: "%@: %.2f MB, %d tokens, best of %d: %.3f s, %.1f MB/s (cold word cache), %.1f MB/s (warm)",
                 (corpusPath as NSString).lastPathComponent, mb, tokens, repeats, best, mb / best, mb / warm))
} catch {
    FileHandle.standardError.write("bench-tokenizer: \(error)\n".data(using: .utf8)!)
    exit(1)
}
