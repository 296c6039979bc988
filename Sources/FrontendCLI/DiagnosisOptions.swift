import ArgumentParser
import Launcher

extension HangPolicy: ExpressibleByArgument {}

/// What `meshtop run` does when the run stops moving (docs/diagnosis.md).
public struct DiagnosisOptions: ParsableArguments {
    @Option(name: .customLong("hang-after"), parsing: .unconditional, help: ArgumentHelp(
        "Call the run hung when no step completes for this long, and show who waits for whom.",
        discussion: "Default: the larger of 30 s and 5 times the median step. The report comes from every rank's heartbeat; a JSON copy is written to the dump folder.",
        valueName: "seconds"))
    public var hangAfter: Double?

    @Option(name: .customLong("on-hang"), help: ArgumentHelp(
        "What to do about a hang: wait (show it and wait for the run to move again) or stop (tear the job down, exit status 1 or mpirun's).",
        valueName: "wait|stop"))
    public var onHang = HangPolicy.wait

    public init() {}

    public func validate() throws {
        if let hangAfter, !(hangAfter > 0 && hangAfter.isFinite) {
            throw ValidationError("--hang-after \(hangAfter): must be a positive number of seconds")
        }
    }

    /// Into the supervisors' options; reports go to `folder`.
    public func apply(to options: inout Supervisor.Options, reportFolder folder: String) {
        options.hangAfter = hangAfter
        options.onHang = onHang
        options.reportFolder = folder
    }
}
