import CStdio
import Foundation
import Synchronization
import Telemetry

/// `meshtop run --no-tui`'s output. On a terminal the front end prints mpirun's lines itself and
/// keeps one progress line at the bottom (step N/total, a bar, loss, tok/s, elapsed, ETA),
/// redrawn in place and cleared before every other line and at the end. Not on a terminal:
/// plain lines, no progress line (mpirun's output is then not captured at all, see RunCommand).
public final class HeadlessPrinter: Sendable {
    /// Carriage return and erase-line: the cursor back to column 0 of a blank line.
    public static let clear = "\r\u{1B}[K"

    public let isTerminal: Bool
    private let columns: Int
    private let now: @Sendable () -> Double
    private let out: @Sendable (String) -> Void
    private let err: @Sendable (String) -> Void
    private let start: Double
    /// Everything below is used under this lock (the writes too: lines never interleave).
    private let state = Mutex(State())

    private struct State {
        var total: Int?
        var progress: String?
        /// Steps of this generation: the first one seen, and the latest (for the rate).
        var first: (step: Int, time: Double)?
        var latest: (step: Int, time: Double, stepSeconds: Double)?
    }

    /// `out` and `err` write raw text (flushed); by default stdout and stderr.
    public init(isTerminal: Bool, columns: Int = 80, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                out: @escaping @Sendable (String) -> Void = { fputs($0, mt_stdout()); fflush(mt_stdout()) },
                err: @escaping @Sendable (String) -> Void = { fputs($0, mt_stderr()); fflush(mt_stderr()) }) {
        self.isTerminal = isTerminal
        self.columns = max(columns, 20)
        self.now = now
        self.out = out
        self.err = err
        start = now()
    }

    /// A line of mpirun's (from a rank or mpirun itself).
    public func line(_ text: String, isStderr: Bool) {
        state.withLock { printAboveProgress(text, toStderr: isStderr, &$0) }
    }

    /// One of the front end's own lines ("meshtop: ..." on stderr).
    public func say(_ text: String) {
        state.withLock { printAboveProgress("meshtop: " + text, toStderr: true, &$0) }
    }

    /// A telemetry event: the hello gives the total, every step redraws the progress line.
    public func event(_ record: TelemetryRecord) {
        guard isTerminal else { return }
        state.withLock { s in
            switch record.event {
            case .hello(let hello):
                s.total = hello.config.steps
                s.first = nil  // a new generation: its own rate
            case .step(let step):
                let t = now()
                if s.first == nil { s.first = (step.step, t) }
                s.latest = (step.step, t, step.ranks.first?.seconds.total ?? 0)
                let tokens = step.ranks.reduce(0.0) { $0 + $1.tokensPerSecond }
                s.progress = Self.progressLine(step: step.step, total: s.total ?? step.step, loss: step.loss,
                                               tokensPerSecond: tokens, elapsed: t - start, eta: Self.eta(s),
                                               width: columns - 1)
                draw(s)
            default:
                break
            }
        }
    }

    /// Clears the progress line (the end of the run).
    public func finish() {
        state.withLock { s in
            if s.progress != nil && isTerminal { out(Self.clear) }
            s.progress = nil
        }
    }

    /// The width of the terminal on stdout (80 when it cannot say).
    public static var terminalColumns: Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// `step 12/100 [#-----------] loss 7.1234  3,210 tok/s  elapsed 0:12  ETA 1:28`, cut to `width`
    /// (a line that wraps could not be redrawn in place).
    public static func progressLine(step: Int, total: Int, loss: Double, tokensPerSecond: Double, elapsed: Double,
                                    eta: Double?, width: Int) -> String {
        let barWidth = 12
        let fraction = total > 0 ? min(max(Double(step) / Double(total), 0), 1) : 0
        let filled = Int((fraction * Double(barWidth)).rounded(.down))
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled) + "]"
        let line = "step \(step)/\(total) \(bar) loss \(String(format: "%.4f", loss))  \(grouped(Int(tokensPerSecond.rounded()))) tok/s"
            + "  elapsed \(clock(elapsed))  ETA \(eta.map(clock) ?? "?")"
        return String(line.prefix(max(width, 0)))
    }

    /// 75 -> "1:15", 3725 -> "1:02:05".
    public static func clock(_ seconds: Double) -> String {
        let s = Int(max(seconds, 0).rounded())
        let (h, m, r) = (s / 3600, s / 60 % 60, s % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, r) : String(format: "%d:%02d", m, r)
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    // MARK: - under the lock

    /// Seconds left: the rate over this generation's steps, else the last step's own time.
    private static func eta(_ s: State) -> Double? {
        guard let total = s.total, let latest = s.latest else { return nil }
        let left = Double(max(total - latest.step, 0))
        if let first = s.first, latest.step > first.step {
            return left * (latest.time - first.time) / Double(latest.step - first.step)
        }
        return latest.stepSeconds > 0 ? left * latest.stepSeconds : nil
    }

    private func printAboveProgress(_ text: String, toStderr: Bool, _ s: inout State) {
        if isTerminal && s.progress != nil { out(Self.clear) }
        (toStderr ? err : out)(text + "\n")
        if isTerminal { draw(s) }
    }

    private func draw(_ s: State) {
        guard let progress = s.progress else { return }
        out(Self.clear + progress)
    }
}
