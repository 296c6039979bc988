import ArgumentParser

/// How long and how far `meshtop probe` measures: declared once, parsed by `meshtop probe` and
/// by each meshtop-probe rank it starts, which receive them as `arguments`.
public struct ProbeMeasurements: ParsableArguments {
    @Option(name: .customLong("sgemm-seconds"), parsing: .unconditional,
            help: "How long every rank runs sgemm at once (rank 0 alone runs half of it).")
    public var sgemmSeconds = 2.0

    @Option(name: .customLong("max-message-bytes"), parsing: .unconditional,
            help: "The largest ping-pong message; sizes double from 64 KiB up to it.")
    public var maxMessageBytes = 16 << 20

    @Option(name: .customLong("target-seconds"), parsing: .unconditional,
            help: "Message sizes stop doubling once one takes this long one way.")
    public var targetSeconds = 0.04

    public init() {}

    public func validate() throws {
        guard sgemmSeconds > 0, sgemmSeconds <= 60 else { throw ValidationError("--sgemm-seconds \(sgemmSeconds): must be in (0, 60]") }
        guard maxMessageBytes >= 128 << 10, maxMessageBytes <= 1 << 30 else {
            throw ValidationError("--max-message-bytes \(maxMessageBytes): must be from 131072 (128 KiB) to 1073741824 (1 GiB)")
        }
        guard targetSeconds > 0, targetSeconds <= 10 else { throw ValidationError("--target-seconds \(targetSeconds): must be in (0, 10]") }
    }

    /// The same values as a rank's command line.
    public var arguments: [String] {
        ["--sgemm-seconds", String(sgemmSeconds), "--max-message-bytes", String(maxMessageBytes),
         "--target-seconds", String(targetSeconds)]
    }
}
