import ArgumentParser
import CStdio
import Foundation
import Launcher
import RunOptions
import RunSpec
import Synchronization
import Topology

/// `meshtop probe`: measures the hosts a job will run on (the sgemm rate a rank gets, latency
/// and bandwidth within a host and between hosts) with short MPI runs of meshtop-probe, and
/// writes the topology file `meshtop plan --topology` predicts step times from.
public struct ProbeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Measure the hosts' sgemm rate and links, and write a topology file for `meshtop plan --topology`.",
        discussion: """
            Starts one meshtop-probe per rank under mpirun, as `meshtop run` starts its ranks \\
            (--hostfile, a Slurm allocation, or this machine). Rank 0 measures the sgemm rate of \\
            the trainer's call alone, then every rank computes at once (so ranks that share \\
            cores show it); then rank 0 bounces messages of doubling size with a rank of its host \\
            (shared memory) and with a rank of another host (the network), the others asleep: \\
            latency is the smallest message's one-way time, bandwidth the slope of the larger \\
            ones'. A few seconds in all; one line per phase. The topology (JSON, versioned: \\
            docs/multihost.md) is written to --output atomically.
            """)

    @Option(help: ArgumentHelp(
        "A hostfile for mpirun (`host slots=N` lines): probe those hosts.",
        discussion: "Default: inside a Slurm allocation its nodes, else this machine.", valueName: "file"))
    public var hostfile: String?

    @Option(name: .customLong("np"), parsing: .unconditional, help: ArgumentHelp(
        "Ranks to start.", discussion: "Default: one per slot of the hosts (one per core here), at least 2."))
    public var np: Int?

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Where to write the topology.", valueName: "file"))
    public var output = "topology.json"

    @OptionGroup(title: "Measurements") public var measurements: ProbeMeasurements

    @Flag(name: .customLong("dry-run"), help: "Print the mpirun command and exit.")
    public var dryRun = false

    public init() {}

    public func validate() throws {
        if let np, np < 2 { throw ValidationError("--np \(np): must be at least 2 (a pair of ranks to time)") }
    }

    /// The probe's mpirun command (the hostfile read, the output's folder checked).
    func plan() throws -> LaunchPlan {
        let hosts = try hostfile.map(Hostfile.init(path:)) ?? SlurmAllocation.hosts()
        try InputFile.requireWritable(output, "--output \(output)")
        return try LaunchPlan.probe(ranks: np ?? LaunchPlan.probeRanks(hosts: hosts), executable: Self.probeExecutable,
                                    arguments: measurements.arguments, hostfile: hostfile)
    }

    public func run() throws {
        let plan = try InputError.refusing { try self.plan() }
        if dryRun {
            print(plan.commandLine)
            return
        }
        fputs("meshtop: probing with \(plan.ranks) ranks\(hostfile.map { " on the hosts of \($0)" } ?? ""): \(plan.commandLine)\n", mt_stderr())
        let result = Mutex<Result<Topology, Error>?>(nil)
        var options = Supervisor.Options()
        options.output = .lines { line, isStderr in
            do {
                if let topology = try ProbeResult.topology(inLine: line) {
                    result.withLock { $0 = .success(topology) }
                    return
                }
            } catch {
                result.withLock { $0 = .failure(error) }
                return
            }
            fputs(line + "\n", isStderr ? mt_stderr() : mt_stdout())
            fflush(isStderr ? mt_stderr() : mt_stdout())
        }
        let supervisor = Supervisor(plan: plan, receiver: nil, options: options)
        let status = try supervisor.run()
        guard status == 0 else { throw ExitCode(status) }
        switch result.withLock({ $0 }) {
        case .success(let topology)?:
            do { try TopologyFile.write(topology, to: output) } catch {
                throw ProbeFailure("--output \(output): \(ErrorText.line(error))")
            }
            print("meshtop: wrote \(output)")
        case .failure(let error)?: throw ProbeFailure("the probe's result could not be read: \(ErrorText.line(error))")
        case nil: throw ProbeFailure("the probe ended without its result (rank 0 printed none)")
        }
    }

    /// meshtop-probe, next to this executable.
    static var probeExecutable: String {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appendingPathComponent("meshtop-probe").path
    }
}

/// The probe ran but gave nothing to write: status 1 (failed after it started).
struct ProbeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
