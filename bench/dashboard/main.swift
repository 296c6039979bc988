// bench-dashboard: (a) the time to render one 200x60 frame of a 4,096-rank mesh with 100,000
// steps of history; (b) the CPU the dashboard's loop uses while following a run at 10 steps/s.
// Usage: bench-dashboard [frame|follow|all] [--seconds N] (default all, 20 s)
import Dashboard
import Foundation
import Telemetry
import Terminal

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
}

func hello(replicate: Int, shard: Int, steps: Int) -> DashboardInput {
    let config = RunConfig(steps: steps, seqLen: 256, localBatchSize: 8, globalBatchSize: 8 * replicate * shard, gradAccum: 1,
                           warmupSteps: 2, lr: 8e-4, maxNorm: 1, seed: 0, threads: 1, dataPath: "data/tinyshakespeare.txt",
                           tokenizerPath: "")
    let ranks = (0 ..< replicate * shard).map { RankIdentity(rank: $0, host: "node\($0 / 8)", pid: Int32($0 + 100)) }
    let model = ModelSummary(flavor: "debugmodel", dim: 256, nLayers: 6, nHeads: 16, nKVHeads: 16, vocabSize: 2000, parameters: 6_139_136)
    return .record(TelemetryRecord(time: 0, event: .hello(Hello(
        config: config, mesh: MeshLayout(replicate: replicate, shard: shard, strategy: "hsdp"), model: model,
        flopsPerToken: 4.1e7, peak: PeakInfo(flops: 9e10, source: "given", detail: ""), ranks: ranks))))
}

func rankSteps(_ count: Int) -> [RankStep] {
    (0 ..< count).map { r in
        RankStep(rank: r, tokens: 2048, seconds: StepSeconds(total: 1 + Double(r % 13) * 0.01, compute: 0.8, communication: 0.15),
                 tokensPerSecond: 2000, tflops: 0.08, mfu: 30 + Double(r % 7), communication: [:],
                 memory: ["parameters": 6_000_000, "gradients": 6_000_000, "optimizer": 12_000_000, "activations": 120_000_000],
                 residentBytes: 290_000_000 + r, peakResidentBytes: 310_000_000 + r)
    }
}

func step(_ n: Int, _ ranks: [RankStep], time: Double) -> DashboardInput {
    .record(TelemetryRecord(time: time, event: .step(Step(
        step: n, loss: 6.5 + 2 * exp(-Double(n) / 2000) + 0.1 * sin(Double(n)), gradNorm: 0.8, lr: 8e-4, ranks: ranks))))
}

func frameBenchmark() {
    let steps = 100_000, ranks = rankSteps(4096)
    var state = DashboardState()
    let setup = Date()
    state.apply(hello(replicate: 64, shard: 64, steps: 200_000))
    for n in 1 ... steps {
        state.apply(step(n, ranks, time: Double(n)))
        if n % 5000 == 0 {
            state.apply(.record(TelemetryRecord(time: Double(n), event: .checkpoint(Checkpoint(step: n, path: "c", bytes: 1, seconds: 1)))))
        }
    }
    print(String(format: "frame: state of 4096 ranks x %d steps built in %.2f s", steps, Date().timeIntervalSince(setup)))
    for (name, glyphs) in [("unicode", Glyphs.unicode), ("ascii", Glyphs.ascii)] {
        var view = ViewState()
        var times: [Double] = []
        var buffer = Buffer(width: 200, height: 60)
        for i in 0 ..< 200 {
            view.selectedRank = (i * 37) % 4096
            view.showGradNorm = i % 2 == 0
            let start = DispatchTime.now().uptimeNanoseconds
            buffer = Buffer(width: 200, height: 60)
            DashboardView.render(state, view, theme: .defaultDark, glyphs: glyphs, live: true, into: &buffer)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        print(String(format: "frame 200x60 %@: median %.2f ms, p95 %.2f ms, max %.2f ms (200 frames)",
                     name, times[100], times[190], times[199]))
    }
}

func followBenchmark(seconds: Double) {
    let screen = BufferScreen(width: 200, height: 60)
    let app = DashboardApp(screen: screen, themes: [.defaultDark], glyphs: .unicode, live: true)
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread { app.run(); done.signal() }
    let ranks = rankSteps(4)
    let cpuStart = cpuSeconds(), wallStart = Date()
    app.feed.push(hello(replicate: 2, shard: 2, steps: 1_000_000))
    var n = 0
    while Date().timeIntervalSince(wallStart) < seconds {
        n += 1
        app.feed.push(step(n, ranks, time: Date().timeIntervalSince1970))
        usleep(100_000)
    }
    let cpu = cpuSeconds() - cpuStart, wall = Date().timeIntervalSince(wallStart)
    app.feed.requestExit()
    done.wait()
    print(String(format: "follow (in-memory screen 200x60): %d steps in %.1f s, %d frames, %d cells written, CPU %.3f s = %.2f%% of one core",
                 n, wall, screen.draws, screen.cellWrites, cpu, cpu / wall * 100))
}

let arguments = CommandLine.arguments.dropFirst()
let mode = arguments.first { !$0.hasPrefix("-") } ?? "all"
let seconds = arguments.firstIndex(of: "--seconds").flatMap { Double(arguments[$0 + 1]) } ?? 20
if mode == "frame" || mode == "all" { frameBenchmark() }
if mode == "follow" || mode == "all" { followBenchmark(seconds: seconds) }
