import ArgumentParser
import CLISupport
import CStdio
import Dashboard
import Foundation
import RunSources
import RunSpec
import Synchronization
import Telemetry

/// `meshtop watch FILE|DIR`: a torchtitan run's console output followed live in the dashboard,
/// from the log alone (RunSources' TorchtitanFollower folds it into telemetry events).
public struct WatchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow a torchtitan run's console log live in the dashboard (no change to the run).",
        discussion: """
            FILE is torchtitan's console output as it is written (e.g. `./run_train.sh 2>&1 | tee \
            train.log`): torchrun's [rankN]: prefixes, colours and interleaved ranks are read, in \
            the September 2025 format and torchtitan 0.3's. DIR is torchrun's --log-dir folder \
            (with --tee 3 or --redirects 3): every rank's stdout.log and stderr.log under \
            <run_id>_*/attempt_N/<local rank>/, the newest run's latest attempt, rank files that \
            appear later included. docs/torchtitan-logs.md says what is read from which line.

            On a terminal: the dashboard, updated within a poll interval of a line being written: \
            the mesh, each rank's memory (the step line's GiB, against the device's capacity) and \
            MFU, the loss chart, torchtitan's other lines in the log pane. A file truncated or \
            replaced, or a new attempt, is read again from its start. q quits at once; the keys \
            that steer a live meshtop run (p pause, c checkpoint, Enter in the m picker) do \
            nothing here: torchtitan is not meshtop's to steer.

            With --no-tui, or when stdout is not a terminal: one line per step as it is \
            understood (step of total, loss, tok/s over the ranks, elapsed and ETA by the log's \
            timestamps, grad norm, mean MFU, the largest memory, ranks heard), the run's shape \
            first; warnings and errors on stderr. It stops at the end of the file (or folder), \
            unless --follow. Lines that are not torchtitan's never stop it; a log with no \
            torchtitan line at all is refused there (exit status 2).
            """)

    @Argument(help: ArgumentHelp("torchtitan's console output, or torchrun's --log-dir folder.", valueName: "file|dir"))
    public var path: String

    @Flag(name: .customLong("no-tui"), help: "Print one line per step instead of showing the dashboard.")
    public var noTUI = false

    @Flag(help: "Without the dashboard: keep following the log past its end, until Ctrl-C (the dashboard always follows).")
    public var follow = false

    @Option(name: .customLong("poll-interval"), help: ArgumentHelp(
        "Seconds between two looks at the log for new lines (from 0.01 to 5).", valueName: "seconds"))
    public var pollInterval: Double = 0.1

    @OptionGroup(title: "Dashboard") public var dashboard: DashboardOptions

    public init() {}

    public func validate() throws {
        guard (0.01 ... 5).contains(pollInterval) else {
            throw ValidationError("--poll-interval \(String(format: "%g", pollInterval)): must be from 0.01 to 5 seconds")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ValidationError("\(path): no such file or folder")
        }
        // A log may be empty yet (the run has not started writing), not unreadable.
        if !isFolder.boolValue { try CommandMain.validating { try InputFile.requireReadable(path, path, allowEmpty: true) } }
    }

    public func run() throws {
        if !noTUI && isatty(STDOUT_FILENO) == 1, let (app, warnings) = dashboard.makeApp(live: false, runName: nil) {
            for warning in warnings { app.feed.push(.launcher(warning)) }
            app.feed.push(.launcher("watching \(path): torchtitan's log; p, c and the picker's Enter do nothing here"))
            let stop = StopFlag()
            let (feed, path, interval) = (app.feed, path, pollInterval)
            let poller = Thread {
                guard let follower = try? TorchtitanFollower(path: path) else { return }
                while !stop.isSet {
                    let (records, notes) = follower.poll()
                    for note in notes { feed.push(.launcher(note)) }
                    for record in records { feed.push(.record(record)) }
                    Thread.sleep(forTimeInterval: interval)
                }
            }
            poller.start()
            app.run()
            stop.set()
            return
        }
        try printLines()
    }

    /// Headless: the lines as they are understood, to the end (or on, with --follow).
    private func printLines() throws {
        let follower = try TorchtitanFollower(path: path)
        let out = HeadlessPrinter(isTerminal: false)
        var printer = WatchPrinter()
        func show(_ records: [TelemetryRecord]) {
            for record in records {
                for line in printer.lines(for: record) { out.line(line.text, isStderr: line.isStderr) }
            }
        }
        repeat {
            let (records, notes) = follower.poll()
            for note in notes { out.say(note) }
            show(records)
            if follow { Thread.sleep(forTimeInterval: pollInterval) }
        } while follow
        show(follower.finish())
        let fold = follower.fold
        guard fold.recognized > 0 else {
            throw InputError("\(path): no torchtitan log line in it (none starts `[titan] <date> <time>,<ms> - `)")
        }
        for note in fold.skipped { out.say(note) }
        if !fold.hasFinished { out.say("\(path): no \"Training completed\" line: the run goes on, or was cut off") }
    }
}

/// Tells the poller thread the dashboard has quit.
private final class StopFlag: Sendable {
    private let flag = Atomic(false)

    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
