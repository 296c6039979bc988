import Diagnosis
import Foundation
import RunSpec
import Telemetry

/// What `--on-hang` asks for when the run stops moving.
public enum HangPolicy: String, CaseIterable, Sendable {
    /// Show the hang and wait: the run may move again (a rank sent SIGCONT, a slow file system).
    case wait
    /// Tear the job down, with a non-zero status.
    case stop
}

// The hang board's feed: steps arriving keep the watch quiet; when none comes for the limit,
// the heartbeats say who waits for whom (Diagnosis.HangReport), headless and to the dashboard.
extension Supervisor {
    func watchProgress(_ record: TelemetryRecord) {
        let now = Date().timeIntervalSince1970
        switch record.event {
        case .hello(let hello):
            mesh = try? MeshShape(replicate: hello.mesh.replicate, shard: hello.mesh.shard)
            hangWatch = HangWatch(limit: options.hangAfter, startedAt: now)
        case .step(let step):
            lastStep = step.step
            let seconds = step.ranks.map(\.seconds.total).max() ?? 0
            if case .ended(let n, let after) = hangWatch?.step(step.step, seconds: seconds, at: now) {
                say(String(format: "the run moves again: step %d after %.1f s", n, after))
                onHang?(nil)
            }
        case .checkpoint:
            hangWatch?.progress(at: now)
        default:
            break
        }
    }

    /// Looks for a hang; true when the job must be torn down for it (`--on-hang stop`).
    func checkHang(now: Double) -> Bool {
        guard done == nil, var watch = hangWatch, heartbeats != nil, mesh != nil else { return false }
        // The board is read only once the run has stood still as long as a divergence must last.
        var diverged = 0.0
        if !watch.hung, watch.stalledFor(at: now) > watch.divergenceLimit {
            diverged = hangReport(now: now, stalledFor: watch.stalledFor(at: now))?.divergedFor ?? 0
        }
        let change = watch.check(at: now, divergedFor: diverged)
        hangWatch = watch
        guard watch.hung else { return false }
        guard let report = hangReport(now: now, stalledFor: watch.stalledFor(at: now)) else { return false }
        if case .began(_, let divergedFor) = change {
            let why = divergedFor.map { String(format: "; a group waited %.0f s for a peer, past %.0f s", $0, watch.divergenceLimit) }
                ?? "; --hang-after \(Self.limitText(watch))"
            say("hung: \(report.headline) (no step for \(Int(watch.stalledFor(at: now))) s\(why))")
            for rank in report.ranks { say("  " + rank.line) }
            if let folder = options.reportFolder {
                do { say("hang report: " + (try report.write(to: folder, time: now, mesh: mesh!, step: lastStep))) } catch {
                    say("hang report not written: \(error)")
                }
            }
            onHang?(report)
            hangShownAt = now
            return options.onHang == .stop
        }
        if now - hangShownAt >= 1 {
            onHang?(report)
            hangShownAt = now
        }
        return false
    }

    func hangReport(now: Double, stalledFor: Double) -> HangReport? {
        guard let heartbeats, let mesh else { return nil }
        return HangReport(mesh: mesh, pulses: Liveness.pulses(of: ranks, in: heartbeats.pulses), now: now, stalledFor: stalledFor)
    }

    private static func limitText(_ watch: HangWatch) -> String {
        watch.fixedLimit.map { String(format: "%g s", $0) } ?? String(format: "default, %.0f s", watch.limit)
    }
}
