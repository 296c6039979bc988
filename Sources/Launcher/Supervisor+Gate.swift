import Foundation

// A generation started ahead of time: a mesh switch starts the new mpirun as soon as it is asked
// for, so mpirun's start and MPI_Init (a few hundred ms of waiting) pass while the old ranks
// finish their step and checkpoint; the new ranks wait (`meshtop-rank --wait-for-start`).
extension Supervisor {
    /// Starts mpirun now, with a pipe as its stdin (rank 0's), for ranks that wait for `start`
    /// (`--wait-for-start`): `openGate()` lets them go, then `run` follows the job. Until then the
    /// job is not followed; `abandon()` ends it.
    public func startGated(environment extra: [String: String] = [:]) throws {
        let gate = Pipe()
        try launch(environment: extra, stdin: gate)
        self.gate = gate
    }

    /// Writes `start` to the ranks started by `startGated` (once).
    public func openGate() {
        guard let gate else { return }
        self.gate = nil
        try? gate.fileHandleForWriting.write(contentsOf: Data("start\n".utf8))
        try? gate.fileHandleForWriting.close()
    }

    /// Ends a job started by `startGated` that will not be run, and waits for mpirun to go:
    /// stdin closing without `start` ends the ranks quietly; after `grace` seconds they are killed.
    /// Returns mpirun's exit status (0: the ranks ended quietly).
    @discardableResult
    public func abandon(grace: Double = 2) -> Int32 {
        guard let process else { return 0 }
        gate.map { try? $0.fileHandleForWriting.close() }
        gate = nil
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { Self.killJob(pid: process.processIdentifier, ranks: [], signal: SIGKILL) }
        process.waitUntilExit()
        capture?.wait(timeout: 1)
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }
}
