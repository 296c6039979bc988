import Foundation
import RunSpec

/// The mpirun command of `meshtop probe`: `ranks` meshtop-probe ranks, started the way a run's
/// ranks are (the same LaunchPlan: hostfile, oversubscription on one node, root, one BLAS thread
/// per rank, a Slurm allocation's hosts), so the probe measures what a run will meet.
extension LaunchPlan {
    public static func probe(ranks: Int, executable: String, arguments: [String], hostfile: String?,
                             cores: Int = ProcessInfo.processInfo.activeProcessorCount, isRoot: Bool = getuid() == 0,
                             inAllocation: Bool = ProcessInfo.processInfo.environment["SLURM_JOB_ID"] != nil) throws -> LaunchPlan {
        guard ranks >= 1 else { throw LaunchError("--np must be at least 1, got \(ranks)") }
        var spec = RunSpecification(dataPath: "", tokenizerPath: "")
        spec.mesh = try MeshShape(replicate: ranks, shard: 1)
        var plan = LaunchPlan(spec: spec, rankExecutable: executable, hostfile: hostfile, cores: cores, isRoot: isRoot,
                              inAllocation: inAllocation)
        plan.rankArguments = arguments
        return plan
    }

    /// The ranks a probe starts by default: one per slot of the hosts (a hostfile's, a Slurm
    /// allocation's), else one per core here, and at least two, so there is a pair to time.
    public static func probeRanks(hosts: Hostfile?, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int {
        max(2, hosts?.slots ?? cores)
    }
}
