import Foundation
import RunSpec
import TensorBoard
import Telemetry

/// The scalars of one TensorBoard run folder (its event files read in name order, which is time
/// order): each tag's value at each step, the last written winning as in TensorBoard; the
/// hellos meshtop wrote as texts; and the damage met, one line per record.
struct TensorBoardSeries {
    var values: [String: [Int: Double]] = [:]
    /// The wall time of each step's first value.
    var times: [Int: Double] = [:]
    var hellos: [(step: Int, record: TelemetryRecord)] = []
    var skipped: [String] = []

    init(files: [String]) throws {
        var scalars = EventScalars()
        for file in files {
            let contents: EventFileContents
            do { contents = try EventFileReader.read(path: file) } catch {
                throw InputError("\(file): cannot be read (\(ErrorText.line(error).lowercased()))")
            }
            skipped += contents.damage
            for event in contents.events {
                let (points, texts) = scalars.take(event)
                let step = Int(clamping: event.step)
                if !points.isEmpty && times[step] == nil { times[step] = event.wallTime }
                for point in points { values[TensorBoardTags.canonical(point.tag), default: [:]][step] = point.value }
                for text in texts where text.tag == TensorBoardTags.hello {
                    if case .success(let parsed) = LineCoding.decode(Array(text.text.utf8)), case .hello = parsed.record.event {
                        hellos.append((step, parsed.record))
                    } else {
                        skipped.append("\(file): \(TensorBoardTags.hello) at step \(step) is not a hello line: skipped")
                    }
                }
            }
        }
    }

    /// The value of `tag` at `step`, if written.
    func value(_ tag: String, _ step: Int) -> Double? { values[tag]?[step] }

    /// The learning rate's tag: torchtitan's `lr`, else its newer `lr/<Optimizer>` (the first).
    var lrTag: String? {
        values[TensorBoardTags.lr] != nil ? TensorBoardTags.lr
            : values.keys.filter { $0.hasPrefix(TensorBoardTags.lrPrefix) }.min()
    }

    /// Whether any of one rank's figures is written at `step`.
    func hasRankFigures(_ step: Int) -> Bool { TensorBoardTags.perRank.contains { values[$0]?[step] != nil } }

    /// Every step any tag is written at.
    var allSteps: Set<Int> { Set(values.values.flatMap(\.keys)) }
}
