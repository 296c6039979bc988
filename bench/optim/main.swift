// Times one AdamW step and GradientClipping.sumOfSquares over the llama3 debugmodel's
// 6,139,136 parameters, single-threaded. Usage: bench-optim [count] [repeats]
import Foundation
import Optim

let args = CommandLine.arguments
let count = args.count > 1 ? Int(args[1])! : 6_139_136
let repeats = args.count > 2 ? Int(args[2])! : 20

func buffer(_ n: Int, _ f: (Int) -> Float) -> UnsafeMutableBufferPointer<Float> {
    let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
    for i in 0..<n { b[i] = f(i) }
    return b
}
let p = buffer(count) { Float(($0 % 1000) - 500) * 1e-3 }
let g = buffer(count) { Float(($0 * 7919 % 1000) - 500) * 1e-5 }
let m = buffer(count) { _ in 0 }
let v = buffer(count) { _ in 0 }
let opt = AdamW(config: AdamWConfig(), m: m, v: v)

func time(_ body: () -> Void) -> (best: Double, median: Double) {
    body() // warm-up
    var ms: [Double] = []
    for _ in 0..<repeats {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        ms.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }
    ms.sort()
    return (ms[0], ms[ms.count / 2])
}

let adam = time { opt.step(parameters: p, gradients: UnsafeBufferPointer(g), lr: 8e-4) }
var sink = 0.0
let sos = time { sink += GradientClipping.sumOfSquares(UnsafeBufferPointer(g)) }
let bytes = Double(count * 4)
print("parameters: \(count), repeats: \(repeats)")
print(String(format: "AdamW.step:    best %.2f ms  median %.2f ms  (%.1f GB/s over p, g, m, v read + p, m, v written)",
             adam.best, adam.median, 7 * bytes / adam.best / 1e6))
print(String(format: "sumOfSquares:  best %.2f ms  median %.2f ms  (%.1f GB/s)  [sum %.6e]",
             sos.best, sos.median, bytes / sos.best / 1e6, sink))
