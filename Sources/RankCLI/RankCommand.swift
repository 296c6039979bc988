import ArgumentParser
import Collectives
import Mesh
#if canImport(Glibc)
import Glibc
#endif

/// `meshtop-rank`: what mpirun starts on every rank.
public struct RankCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "meshtop-rank",
        abstract: "One rank of a meshtop training job.",
        discussion: """
            mpirun starts one meshtop-rank per rank (usually through `meshtop run`). The ranks \
            form the 2-D data-parallel mesh [dp_replicate, dp_shard]; rank r * S + s sits at \
            replica r, shard s.
            """)

    @Option(help: ArgumentHelp(
        "The device mesh [dp_replicate, dp_shard] as RxS or R,S; R x S must equal the number of ranks.",
        discussion: "(N,1) is replicate, (1,N) FSDP, (R,S) HSDP. Default: (N,1) for N ranks.",
        valueName: "RxS"))
    public var mesh: String?

    public init() {}

    public func run() throws {
        let launch = LaunchEnvironment.current
        // Validate before MPI_Init: a bad mesh then ends every rank quietly with the same
        // status, and only rank 0 says why.
        let shape: MeshShape
        do {
            shape = try mesh.map(MeshShape.parse) ?? MeshShape(replicate: launch.worldSize, shard: 1)
            try shape.validate(worldSize: launch.worldSize)
        } catch let error as MeshError {
            // Rank 0 must be the first to fail: mpirun tears the job down at the first non-zero
            // exit, which could otherwise cut rank 0 off before its line is out.
            if launch.rank == 0 { printError("meshtop-rank: \(error)") } else { usleep(500_000) }
            throw ExitCode(2)
        }

        let world = try MPIRuntime.world()
        defer { MPIRuntime.finalize() }
        let deviceMesh = try DeviceMesh(shape: shape, world: world)
        if deviceMesh.rank == 0 { print(shape.buildingLine) }
        try world.barrier()
    }
}

/// What mpirun tells a rank through its environment before MPI_Init.
public struct LaunchEnvironment: Sendable {
    public var rank: Int
    public var worldSize: Int

    public static var current: LaunchEnvironment {
        LaunchEnvironment(rank: integer("OMPI_COMM_WORLD_RANK") ?? 0,
                          worldSize: integer("OMPI_COMM_WORLD_SIZE") ?? 1)
    }

    private static func integer(_ name: String) -> Int? {
        getenv(name).flatMap { Int(String(cString: $0)) }
    }
}

func printError(_ line: String) {
    fputs(line + "\n", stderr)
}
