// bench-dashboard: (a) the time to render one 200x60 frame of a 4,096-rank mesh with 100,000
// steps of history; (b) the CPU the dashboard's loop uses while following a run at 10 steps/s.
// Usage: bench-dashboard [frame|follow|follow-ncurses|all] [--seconds N] (default all, 20 s)
//        bench-dashboard demo [--ascii]   (a synthetic run on this terminal, to look at)
import CNcursesw
import Dashboard
import Foundation
import Telemetry
import Terminal

/// CPU seconds (user + system) of the process, or of the calling thread.
func cpuSeconds(thread: Bool = false) -> Double {
    var usage = rusage()
    getrusage(thread ? 1 /* RUSAGE_THREAD */ : RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
}

/// CPU seconds of the calling thread (a frame's own cost, whatever else the machine runs).
func threadCPU() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

func hello(replicate: Int, shard: Int, steps: Int, time: Double = Date().timeIntervalSince1970) -> DashboardInput {
    let config = RunConfig(steps: steps, seqLen: 256, localBatchSize: 8, globalBatchSize: 8 * replicate * shard, gradAccum: 1,
                           warmupSteps: 2, lr: 8e-4, maxNorm: 1, seed: 0, threads: 1, dataPath: "data/tinyshakespeare.txt",
                           tokenizerPath: "")
    let ranks = (0 ..< replicate * shard).map { RankIdentity(rank: $0, host: "node\($0 / 8)", pid: Int32($0 + 100)) }
    let model = ModelSummary(flavor: "debugmodel", dim: 256, nLayers: 6, nHeads: 16, nKVHeads: 16, vocabSize: 2000, parameters: 6_139_136)
    return .record(TelemetryRecord(time: time, event: .hello(Hello(
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
    // Each frame follows one more step, as a live run's frames do (nothing cached can stand
    // in for the work); wall time and the thread's CPU time (wall includes waiting for a core).
    var next = steps
    for (name, glyphs) in [("unicode", Glyphs.unicode), ("ascii", Glyphs.ascii)] {
        var view = ViewState()
        var wall: [Double] = [], cpu: [Double] = []
        for i in 0 ..< 200 {
            next += 1
            state.apply(step(next, ranks, time: Double(next)))
            view.selectedRank = (i * 37) % 4096
            view.showGradNorm = i % 2 == 0
            let start = DispatchTime.now().uptimeNanoseconds, cpuStart = threadCPU()
            var buffer = Buffer(width: 200, height: 60)
            DashboardView.render(state, view, theme: .defaultDark, glyphs: glyphs, live: true, into: &buffer)
            cpu.append((threadCPU() - cpuStart) * 1e3)
            wall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        wall.sort(); cpu.sort()
        print(String(format: "frame 200x60 %@: wall median %.2f ms, p95 %.2f ms, max %.2f ms; CPU median %.2f ms, p95 %.2f ms (200 frames)",
                     name, wall[100], wall[190], wall[199], cpu[100], cpu[190]))
    }
}

/// NcursesScreen on a pseudo-terminal of 200x60 (TERM xterm-256color); a thread reads and
/// discards what it writes, as a terminal emulator would.
func ptyScreen() -> (Screen, ByteCounter) {
    let master = posix_openpt(O_RDWR | O_NOCTTY)
    guard master >= 0, grantpt(master) == 0, unlockpt(master) == 0, let name = ptsname(master) else {
        fatalError("bench-dashboard: no pseudo-terminal (posix_openpt failed)")
    }
    let slave = open(name, O_RDWR | O_NOCTTY)
    _ = mt_set_window_size(slave, 60, 200)
    let counter = ByteCounter()
    Thread.detachNewThread {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(master, &chunk, chunk.count)
            if count <= 0 { break }
            counter.add(count, cpu: cpuSeconds(thread: true))
        }
    }
    do {
        let screen = try NcursesScreen(terminalType: "xterm-256color", output: fdopen(slave, "w")!, input: fdopen(dup(slave), "r")!,
                                       environment: [:])
        return (screen, counter)
    } catch {
        fatalError("bench-dashboard: \(error)")
    }
}

final class ByteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = 0
    private var cpu = 0.0
    func add(_ n: Int, cpu: Double) { lock.lock(); bytes += n; self.cpu = cpu; lock.unlock() }
    var total: Int { lock.lock(); defer { lock.unlock() }; return bytes }
    /// CPU seconds the reading thread (the stand-in terminal, not the dashboard) used so far.
    var readerCPU: Double { lock.lock(); defer { lock.unlock() }; return cpu }
}

func followBenchmark(seconds: Double, ncurses: Bool) {
    let memory = BufferScreen(width: 200, height: 60)
    let pty = ncurses ? ptyScreen() : nil
    let screen: Screen = pty?.0 ?? memory
    // run() goes to the detached thread; this one only uses app.feed (Sendable) until done.wait().
    nonisolated(unsafe) let app = DashboardApp(screen: screen, themes: [.defaultDark], glyphs: .unicode, live: true)
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread { app.run(); done.signal() }
    let ranks = rankSteps(4)
    let cpuStart = cpuSeconds(), wallStart = Date(), readerAtStart = pty?.1.readerCPU ?? 0
    app.feed.push(hello(replicate: 2, shard: 2, steps: 1_000_000))
    var n = 0
    while Date().timeIntervalSince(wallStart) < seconds {
        n += 1
        app.feed.push(step(n, ranks, time: Date().timeIntervalSince1970))
        usleep(100_000)
    }
    // The pty's reader stands in for the terminal emulator: its CPU is not the dashboard's.
    let reader = (pty?.1.readerCPU ?? 0) - readerAtStart
    let cpu = cpuSeconds() - cpuStart - reader, wall = Date().timeIntervalSince(wallStart)
    app.feed.requestExit()
    done.wait()
    let what = ncurses ? "NcursesScreen on a 200x60 pty" : "in-memory screen 200x60"
    let unit = ncurses ? "bytes written to the pty" : "cells written"
    print(String(format: "follow (%@): %d steps in %.1f s, %d %@, CPU %.3f s = %.2f%% of one core",
                 what, n, wall, pty?.1.total ?? memory.cellWrites, unit, cpu, cpu / wall * 100))
}

/// A synthetic (2, 2) run at 10 steps/s on this terminal, with the catalog's themes, until `q`
/// then `y`: to look at the dashboard and try its keys by hand (or in tmux).
func demo() {
    let screen: NcursesScreen
    do { screen = try NcursesScreen() } catch { fatalError("bench-dashboard demo: \(error)") }
    let (themes, index, _) = ThemeCycle.load(ThemeCatalog.forProcess(), option: nil)
    let app = DashboardApp(screen: screen, themes: themes, themeIndex: index,
                           glyphs: CommandLine.arguments.contains("--ascii") ? .ascii : .unicode, live: true)
    let stopped = ByteCounter()
    app.onCommand = { command in if command == .control(.stop) { stopped.add(1, cpu: 0) } }
    let feed = app.feed
    Thread.detachNewThread {
        feed.push(hello(replicate: 2, shard: 2, steps: 600))
        for n in 1 ... 600 where stopped.total == 0 {
            feed.push(step(n, rankSteps(4), time: Date().timeIntervalSince1970))
            if n % 50 == 0 {
                feed.push(.record(TelemetryRecord(time: Date().timeIntervalSince1970, event: .checkpoint(Checkpoint(step: n, path: "ckpt/step-\(n)", bytes: 1, seconds: 0.1)))))
            }
            usleep(100_000)
        }
        feed.push(.ended(status: 0))
    }
    app.run()
}

let arguments = CommandLine.arguments.dropFirst()
let mode = arguments.first { !$0.hasPrefix("-") } ?? "all"
let seconds = arguments.firstIndex(of: "--seconds").flatMap { Double(arguments[$0 + 1]) } ?? 20
if mode == "demo" { demo(); exit(0) }
if mode == "frame" || mode == "all" { frameBenchmark() }
if mode == "follow" || mode == "all" { followBenchmark(seconds: seconds, ncurses: false) }
if mode == "follow-ncurses" || mode == "all" { followBenchmark(seconds: seconds, ncurses: true) }
