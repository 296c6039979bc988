// Times one AdamW step and GradientClipping.sumOfSquares over the llama3 debugmodel's
// 6,139,136 parameters, single-threaded; then a checkpoint of parameters, m and v in the
// debugmodel's 57 named tensors (write with fsync, full read, an 1/8 slice read of each).
// Usage: bench-optim [count] [repeats]     (the checkpoint part runs at the default count only)
import Foundation
import Checksum
import Optim
import SafeTensors
import RunSpec

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

// The checkpoint: the debugmodel's parameters, with m and v under "optimizer.m." / ".v." names.
guard count == 6_139_136 else { exit(0) }
var shapes: [(String, [Int])] = [("tok_embeddings.weight", [2000, 256])]
for l in 0..<6 {
    for w in ["wq", "wk", "wv", "wo"] { shapes.append(("layers.\(l).attention.\(w).weight", [256, 256])) }
    shapes.append(("layers.\(l).feed_forward.w1.weight", [768, 256]))
    shapes.append(("layers.\(l).feed_forward.w2.weight", [256, 768]))
    shapes.append(("layers.\(l).feed_forward.w3.weight", [768, 256]))
    shapes.append(("layers.\(l).attention_norm.weight", [256]))
    shapes.append(("layers.\(l).ffn_norm.weight", [256]))
}
shapes.append(("norm.weight", [256]))
shapes.append(("output.weight", [2000, 256]))
precondition(shapes.reduce(0) { $0 + $1.1.reduce(1, *) } == count)

let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-optim-\(getpid())")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
let file = folder.appendingPathComponent("step-1.safetensors").path

@MainActor func checkpointWriter() throws -> SafeTensorsWriter {  // reads the top-level buffers
    var w = SafeTensorsWriter()
    for (prefix, buffer) in [("", p), ("optimizer.m.", m), ("optimizer.v.", v)] {
        var offset = 0
        for (name, shape) in shapes {
            let n = shape.reduce(1, *)
            try w.add(prefix + name, shape: shape, borrowing: UnsafeBufferPointer(rebasing: buffer[offset..<(offset + n)]))
            offset += n
        }
    }
    try w.add("optimizer.step", shape: [], values: [Int64(opt.stepCount)])
    w.setMetadata("format", "pt")
    return w
}
let writer = try checkpointWriter()
var writeMS: [Double] = [], readMS: [Double] = [], sliceMS: [Double] = []
let back = buffer(count * 3) { _ in 0 }
for _ in 0..<3 {
    var t0 = DispatchTime.now().uptimeNanoseconds
    try writer.write(to: file)
    writeMS.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)

    t0 = DispatchTime.now().uptimeNanoseconds
    let f = try SafeTensorsFile(path: file)
    var offset = 0
    for t in f.tensors where t.dtype == .f32 {
        try f.read(t.name, into: UnsafeMutableBufferPointer(rebasing: back[offset..<(offset + t.elementCount)]))
        offset += t.elementCount
    }
    readMS.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)

    t0 = DispatchTime.now().uptimeNanoseconds
    let g = try SafeTensorsFile(path: file)
    offset = 0
    for t in g.tensors where t.dtype == .f32 {
        let n = t.elementCount / 8
        try g.read(t.name, elements: 3 * n..<4 * n, into: UnsafeMutableBufferPointer(rebasing: back[offset..<(offset + n)]))
        offset += n
    }
    sliceMS.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
}
let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
print(String(format: "checkpoint (params + m + v, %d tensors, %.1f MB): write+fsync best %.1f ms, read all best %.1f ms, read 1/8 slice of each best %.1f ms (page cache warm)",
             writer.tensorNames.count, Double(size) / 1e6, writeMS.min()!, readMS.min()!, sliceMS.min()!))

// The checksum every checkpoint file gets when written and when read: SHA-256 over the same
// bytes, on the CPU's SHA instructions (where it has them) and on the portable compression.
let hashed = UnsafeRawBufferPointer(UnsafeBufferPointer(p)).assumingMemoryBound(to: UInt8.self)
for hardware in SHA256.useHardware ? [true, false] : [false] {
    SHA256.useHardware = hardware
    let t = time { _ = SHA256.hex(hashed) }
    print(String(format: "SHA-256 of %.1f MB (%@): best %.1f ms = %.0f MB/s", Double(hashed.count) / 1e6,
                 hardware ? "SHA-NI" : "portable", t.best, Double(hashed.count) / 1e3 / t.best))
}
