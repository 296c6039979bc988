import Collectives
import Foundation

/// `--wait-for-start`: the ranks of a mesh switch's next generation are started (mpirun, MPI_Init:
/// a few hundred ms, nearly all of it waiting) while the old ranks still finish their step and
/// checkpoint; they then wait here, without using the CPU the old ones need, until the launcher
/// writes `start` on mpirun's stdin (which mpirun hands to rank 0). docs/reconfiguration.md.
enum StartGate {
    static let word = "start"

    /// Collective: true once rank 0 has read `start`; false when its stdin closed without it (the
    /// switch was abandoned), on every rank.
    static func wait(world: Communicator) throws -> Bool {
        var go: [UInt8] = [0]
        if world.rank == 0 {
            while let line = readLine() {
                if line.trimmingCharacters(in: .whitespaces) == word { go[0] = 1; break }
            }
        }
        guard world.size > 1 else { return go[0] == 1 }
        try go.withUnsafeMutableBufferPointer { flag in
            let request = try world.startBroadcast(flag, root: 0)
            // Test, then sleep: a blocking wait would spin on a core the old ranks are using.
            while try !request.test() { usleep(2_000) }
        }
        return go[0] == 1
    }
}
