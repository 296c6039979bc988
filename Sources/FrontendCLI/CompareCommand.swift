import ArgumentParser
import CLISupport
import CStdio
import Compare
import Dashboard
import Foundation
import RunSources
import RunSpec
import Terminal

extension Alignment: ExpressibleByArgument {}

/// `meshtop compare RUN...`: runs side by side, each against the first, with a verdict each and
/// an exit status CI can use (docs/compare.md).
public struct CompareCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare runs' loss and grad norm against the first run, with a verdict per run.",
        discussion: """
            Each RUN is anything meshtop reads runs from (a `meshtop run --metrics-file` \
            recording, and the other sources RunLoader knows). Each is labelled by its mesh and \
            strategy (`[2, 2] hsdp`), else its file name, and compared with the first at every \
            point both have: the same step, or with --align tokens the same tokens seen (every \
            rank's tokens summed over the steps).

            Within rtol: |a - b| <= rtol * max(|a|, |b|) (the same NaN or infinity in both also \
            agrees). Verdicts: identical within rtol (loss and grad norm at every aligned \
            point); grad norm ratio a near-constant k (every ratio within 1% of their median k, \
            k at least 10% from 1, at least 2 points; names the mesh degree of either run k \
            equals: dp = R x S, dp_replicate R, dp_shard S, or one over one, else a square root); \
            diverges from step 1 (initialisation or data differ); diverges at step k (gradient \
            reduction or optimizer); no step in common.

            On a terminal: the compare view (loss of every run overlaid, the differences from the \
            first run with the rtol band, the verdicts; ? lists the keys: g grad norm, a align by \
            step / tokens, d absolute / relative, y log scale, t theme, q quit). With --no-tui, or \
            when stdout is not a terminal: the same as a table. --json: one JSON object.

            Exit status: 0 when every run is within --rtol of the first, 1 otherwise; 2 when an \
            input is refused (fewer than 2 runs, a RUN that is no run or has no step, a bad --rtol).
            """)

    @Argument(help: ArgumentHelp("The runs; the first is the one the others are compared with.", valueName: "run"))
    public var runs: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "The relative tolerance: values a and b agree when |a - b| <= rtol * max(|a|, |b|).",
        discussion: "At least 0 (0: exactly equal) and below 1.", valueName: "rtol"))
    public var rtol: Double = 1e-5

    @Option(help: ArgumentHelp("Match the runs' points by step, or by tokens seen.", valueName: "step|tokens"))
    public var align: Alignment = .step

    @Flag(name: .customLong("no-tui"), help: "Print the table instead of showing the compare view.")
    public var noTUI = false

    @Flag(help: "Print one JSON object (docs/compare.md lists its fields).")
    public var json = false

    @OptionGroup(title: "Dashboard") public var dashboard: DashboardOptions

    public init() {}

    public func validate() throws {
        guard runs.count >= 2 else {
            throw ValidationError("compare needs at least 2 runs (RUN...), got \(runs.count)\(runs.first.map { ": \($0)" } ?? "")")
        }
        guard rtol.isFinite, rtol >= 0, rtol < 1 else {
            throw ValidationError("--rtol \(rtol): must be at least 0 and below 1")
        }
    }

    public func run() throws {
        let loaded = try runs.map { path in try InputError.refusing { try RunLoader.load(path) } }
        var curves: [RunCurve] = []
        for run in loaded {
            let curve = RunCurve(name: RunLabels.name(ofPath: run.path), records: run.records)
            guard !curve.isEmpty else { throw InputError("\(run.path): no step to compare (the run has no step event)") }
            curves.append(curve)
        }
        for line in loaded.flatMap(\.skipped) { fputs("meshtop: \(line)\n", mt_stderr()) }
        let comparison = Comparison(runs: curves, rtol: rtol, alignment: align)
        if json {
            print(try CompareJSON.text(comparison, loaded))
        } else if !noTUI && isatty(STDOUT_FILENO) == 1, let shown = showView(comparison) {
            CompareTable.verdicts(shown).forEach { print($0) }
        } else {
            CompareTable.lines(comparison, loaded).forEach { print($0) }
        }
        if !comparison.allWithinTolerance { throw CommandMain.exitCode(.failed) }
    }

    /// The compare view on the controlling terminal until q; the comparison as it was left (its
    /// alignment). nil when there is no terminal (said on stderr).
    func showView(_ comparison: Comparison) -> Comparison? {
        let screen: NcursesScreen
        do { screen = try NcursesScreen() } catch {
            fputs("meshtop: \(error): printing the table\n", mt_stderr())
            return nil
        }
        let (themes, index, _) = ThemeCycle.load(.forProcess(), option: dashboard.theme)
        let app = CompareApp(screen: screen, comparison: comparison, themes: themes, themeIndex: index,
                             glyphs: dashboard.glyphs(for: screen))
        app.run()
        return app.comparison
    }
}
