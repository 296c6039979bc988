import Foundation
import RunOptions
import RunSpec
import Telemetry

/// The mpirun command of a job: a pure function of the run's specification and where it runs,
/// so it can be shown (`meshtop run --dry-run`) and tested without starting anything.
public struct LaunchPlan: Equatable, Sendable {
    /// The run: its mesh gives the ranks to start, the rest the ranks' arguments.
    public var spec: RunSpecification
    /// Ranks to start (`-np`): the mesh's.
    public var ranks: Int
    /// Compute threads per rank (the model's lanes), also exported as OPENBLAS_NUM_THREADS for a
    /// batch of one sequence (mpirun does not bind oversubscribed ranks, and OpenBLAS would
    /// otherwise start one thread per core in each).
    public var threads: Int
    /// The `meshtop-rank` executable.
    public var rankExecutable: String
    /// Everything after the executable: `RankArguments.of(spec)`, and `--wait-for-start` for a
    /// gated start (a test may append what it needs to provoke).
    public var rankArguments: [String]
    /// A hostfile for mpirun (multi-node jobs).
    public var hostfile: String?
    /// Cores of this machine: more ranks than cores (on one node) needs `--oversubscribe`.
    public var cores: Int
    /// mpirun refuses root without `--allow-run-as-root`.
    public var isRoot: Bool
    /// Variables of mpirun's environment passed on to every rank with `-x NAME` (values stay out
    /// of the command line: the telemetry token is not for `ps`).
    public var exportedVariables: [String]
    public var mpirun: String

    public init(spec: RunSpecification, rankExecutable: String, hostfile: String? = nil,
                cores: Int = ProcessInfo.processInfo.activeProcessorCount, isRoot: Bool = getuid() == 0,
                exportedVariables: [String] = [], mpirun: String = "mpirun",
                inAllocation: Bool = ProcessInfo.processInfo.environment["SLURM_JOB_ID"] != nil) {
        self.spec = spec
        self.inAllocation = inAllocation
        self.ranks = spec.mesh.worldSize
        self.threads = spec.threads
        self.rankExecutable = rankExecutable
        self.rankArguments = RankArguments.of(spec)
        self.hostfile = hostfile
        self.cores = cores
        self.isRoot = isRoot
        self.exportedVariables = exportedVariables
        self.mpirun = mpirun
    }

    /// In a Slurm allocation: mpirun takes its hosts and slots from it.
    public var inAllocation: Bool

    /// On one node, more ranks than cores; with a hostfile or an allocation the slots decide.
    public var oversubscribe: Bool { hostfile == nil && !inAllocation && ranks > cores }

    /// The full argument vector, mpirun first.
    public var arguments: [String] {
        var a = [mpirun, "-np", String(ranks)]
        if let hostfile { a += ["--hostfile", hostfile] }
        if oversubscribe { a.append("--oversubscribe") }
        if isRoot { a.append("--allow-run-as-root") }
        // mpirun binds each rank to one core (up to 2 ranks; to a socket beyond): a rank's
        // lanes would then take turns on that core instead of running at once.
        if threads > 1 { a += ["--bind-to", "none"] }
        // Across hosts, mpirun's daemons keep their connections alive (idle 5 s, then 3 probes a
        // second apart): a host cut off is found by Open MPI itself within ~8 s, and its daemon
        // then ends its ranks, where the default (300 s idle, 9 probes 20 s apart) leaves them
        // waiting for 8 minutes on a dead link.
        if hostfile != nil || inAllocation {
            a += ["--mca", "oob_tcp_keepalive_time", "5", "--mca", "oob_tcp_keepalive_intvl", "1",
                  "--mca", "oob_tcp_keepalive_probes", "3"]
        }
        a.append("-q")
        // OpenBLAS's idle threads sleep at once instead of spinning on the cores the ranks'
        // own kernel workers need (Metrics.BLASEnvironment, which a rank sets itself otherwise; the kernel each rank picks on its own host).
        a += ["-x", "OPENBLAS_NUM_THREADS=\(threads)", "-x", "OPENBLAS_THREAD_TIMEOUT=4"]
        for name in exportedVariables { a += ["-x", name] }
        return a + [rankExecutable] + rankArguments
    }

    /// The command as a shell would take it.
    public var commandLine: String { arguments.map(Shell.quote).joined(separator: " ") }

    /// The same job with its ranks waiting after MPI_Init for `start` on rank 0's stdin
    /// (`meshtop-rank --wait-for-start`; Supervisor.startGated).
    public func waitingForStart() -> LaunchPlan {
        var plan = self
        if !plan.rankArguments.contains("--wait-for-start") { plan.rankArguments.append("--wait-for-start") }
        return plan
    }
}

public enum Shell {
    /// `word` quoted for a POSIX shell when it needs it.
    public static func quote(_ word: String) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !word.isEmpty && word.allSatisfy({ plain.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// The mesh of a job: `--np` and `--mesh` together, or either alone.
public enum MeshChoice {
    /// With neither, one rank per core on (N, 1); with a hostfile, one rank per slot, and the
    /// shards of each replica on one host when the hosts have equal slots (HSDP across hosts).
    public static func resolve(np: Int?, mesh: MeshShape?, cores: Int, hostfile: Hostfile? = nil) throws -> MeshShape {
        switch (np, mesh) {
        case let (n?, m?):
            guard n == m.worldSize else {
                throw LaunchError("--mesh \(m) needs \(m.worldSize) ranks, but --np is \(n)")
            }
            return m
        case let (nil, m?): return m
        case let (n?, nil):
            guard n >= 1 else { throw LaunchError("--np must be at least 1, got \(n)") }
            return try hostfile?.hostMesh(ranks: n) ?? MeshShape(replicate: n, shard: 1)
        case (nil, nil):
            let ranks = hostfile?.slots ?? max(cores, 1)
            return try hostfile?.hostMesh(ranks: ranks) ?? MeshShape(replicate: ranks, shard: 1)
        }
    }
}

/// Where the telemetry listener binds: an address the ranks can reach, and no wider.
public enum TelemetryBinding {
    /// Loopback when every rank runs here; else this machine's address on the route to the
    /// first other host (never every interface).
    public static func address(for hostfile: Hostfile?) throws -> String {
        guard let hostfile, !hostfile.isLocal,
              let remote = hostfile.hosts.first(where: { !SourceAddress.isLoopback($0.name) }) else { return "127.0.0.1" }
        do { return try SourceAddress.toward(remote.name) } catch {
            throw LaunchError("host \(remote.name): cannot tell which address it reaches this one at (\(error)); give it with --telemetry-bind")
        }
    }
}

public struct LaunchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
